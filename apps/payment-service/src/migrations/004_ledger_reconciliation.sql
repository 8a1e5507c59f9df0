-- Money under partial failure. The sandbox keeps what each charge was for (amount, currency, the
-- request's reference), as real providers keep a charge's metadata, and lists its ledger by time,
-- so charges that nobody recorded are found and recorded (or refunded).
ALTER TABLE sandbox_charges ADD COLUMN amount_cents bigint;
ALTER TABLE sandbox_charges ADD COLUMN currency char(3);
ALTER TABLE sandbox_charges ADD COLUMN reference text;
CREATE INDEX sandbox_charges_created_at ON sandbox_charges (created_at, idempotency_key);

-- A reference has at most one charge whose outcome is unknown: a charge with another key for it
-- waits (409) until that one is settled, so switching keys never charges twice. This finds them.
CREATE INDEX idempotency_keys_charge_in_progress ON idempotency_keys ((request::jsonb ->> 'reference'))
  WHERE scope = 'payments' AND state = 'in_progress';

-- Where each periodic pass over an outside ledger got to (the provider's charges): it resumes there.
CREATE TABLE checkpoints (
  name text PRIMARY KEY,
  at timestamptz NOT NULL,
  after_key text NOT NULL DEFAULT ''
);

-- Payments changed since a moment (refunded, or recorded by a repair), for order-service's reconciler.
CREATE INDEX payments_updated_at ON payments (updated_at);
