-- Where the reconciler's pass over payment-service's changed payments got to: it resumes there, so
-- an administrator's refund or a charge recorded by a repair reaches its order without a client.
CREATE TABLE checkpoints (
  name text PRIMARY KEY,
  at timestamptz NOT NULL,
  after_key text NOT NULL DEFAULT ''
);
