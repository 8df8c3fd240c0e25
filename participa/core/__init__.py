"""Infrastructure shared by every domain: database, tasks, i18n, security, mail."""
