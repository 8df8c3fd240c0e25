"""E-mail: messages are sent by a worker task, by SMTP in production or to a local outbox in
the embedded default."""
