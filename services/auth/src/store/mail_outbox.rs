//! `mail_outbox`: messages waiting for the courier (skeleton).
