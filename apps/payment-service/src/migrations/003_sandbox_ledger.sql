-- The sandbox provider's own ledger (PAYMENT_PROVIDER=sandbox only): what it charged and refunded
-- under which key. Like a real provider it keeps these apart from the payments and outlives a crash
-- of this service, so an attempt left in progress can be looked up by its key afterwards.
CREATE TABLE sandbox_charges (
  idempotency_key text PRIMARY KEY,
  result text NOT NULL,
  created_at timestamptz NOT NULL
);

CREATE TABLE sandbox_refunds (
  idempotency_key text PRIMARY KEY,
  refund_id text NOT NULL,
  created_at timestamptz NOT NULL
);
