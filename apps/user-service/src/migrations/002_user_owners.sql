-- Each user is a person's profile: the identity provider (`iss`) and subject (`sub`) of the token
-- that created it. One profile per person. Users made before owners were recorded have none and
-- are visible to administrators only.
ALTER TABLE users ADD COLUMN owner_issuer text;
ALTER TABLE users ADD COLUMN owner_subject text;
ALTER TABLE users ADD CONSTRAINT users_owner_complete CHECK ((owner_issuer IS NULL) = (owner_subject IS NULL));
ALTER TABLE users ADD CONSTRAINT users_owner_key UNIQUE (owner_issuer, owner_subject);
