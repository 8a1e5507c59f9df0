-- Each order belongs to the person who created it (their identity provider and subject), for
-- their own user. Orders made before owners were recorded have none: administrators only.
ALTER TABLE orders ADD COLUMN owner_issuer text;
ALTER TABLE orders ADD COLUMN owner_subject text;
ALTER TABLE orders ADD CONSTRAINT orders_owner_complete CHECK ((owner_issuer IS NULL) = (owner_subject IS NULL));
CREATE INDEX orders_owner ON orders (owner_subject, owner_issuer, seq);
