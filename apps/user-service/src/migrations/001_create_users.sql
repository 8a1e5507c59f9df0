-- Users, in creation order by `seq` (the page cursor). Emails are stored trimmed and lower-cased,
-- so uniqueness is case-insensitive by construction.
CREATE TABLE users (
  id uuid PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  email text NOT NULL,
  name text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT users_seq_key UNIQUE (seq),
  CONSTRAINT users_email_key UNIQUE (email),
  CONSTRAINT users_email_normalized CHECK (email = lower(btrim(email)))
);
