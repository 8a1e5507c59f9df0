-- Payments never hold card data: only the provider's charge id, the brand and the last four digits.
CREATE TABLE payments (
  id uuid PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  status text NOT NULL CHECK (status IN ('SUCCEEDED', 'FAILED', 'REFUNDED')),
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  currency char(3) NOT NULL,
  reference text NOT NULL,
  method_type text NOT NULL,
  brand text NOT NULL,
  last4 char(4) NOT NULL,
  failure_code text,
  provider_charge_id text,
  idempotency_key text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT payments_seq_key UNIQUE (seq),
  -- A retried charge (the same key) finds its payment instead of making a second one.
  CONSTRAINT payments_idempotency_key_key UNIQUE (idempotency_key)
);
CREATE INDEX payments_reference ON payments (reference, seq);

-- One refund per payment, always of the whole amount.
CREATE TABLE refunds (
  id uuid PRIMARY KEY,
  payment_id uuid NOT NULL REFERENCES payments (id),
  amount_cents bigint NOT NULL,
  currency char(3) NOT NULL,
  provider_refund_id text NOT NULL,
  created_at timestamptz NOT NULL,
  CONSTRAINT refunds_payment_id_key UNIQUE (payment_id)
);

-- Idempotency keys (see IdempotencyStore in @platform/persistence).
CREATE TABLE idempotency_keys (
  scope text NOT NULL,
  key text NOT NULL,
  request_hash text NOT NULL,
  state text NOT NULL CHECK (state IN ('in_progress', 'completed')),
  response_status integer,
  response_headers text,
  response_body text,
  locked_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (scope, key)
);
CREATE INDEX idempotency_keys_expires_at ON idempotency_keys (expires_at);
