-- Orders and their items, written together in one transaction. Money is integer minor units.
CREATE TABLE orders (
  id uuid PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  user_id uuid NOT NULL,
  currency char(3) NOT NULL,
  total_cents bigint NOT NULL CHECK (total_cents > 0),
  status text NOT NULL CHECK (status IN ('PENDING', 'PAID', 'CANCELLED')),
  payment_id uuid,
  refund_id uuid,
  -- The idempotency key of the payment attempt that holds (or paid) the order, and since when.
  payment_key text,
  payment_key_at timestamptz,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT orders_seq_key UNIQUE (seq),
  CONSTRAINT orders_paid_has_payment CHECK (status <> 'PAID' OR payment_id IS NOT NULL)
);
CREATE INDEX orders_user_id ON orders (user_id, seq);
CREATE INDEX orders_status ON orders (status, seq);

CREATE TABLE order_items (
  order_id uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
  position integer NOT NULL,
  sku text NOT NULL,
  quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  unit_price_cents bigint NOT NULL CHECK (unit_price_cents BETWEEN 0 AND 100000000),
  PRIMARY KEY (order_id, position)
);
