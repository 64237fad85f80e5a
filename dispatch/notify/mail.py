"""Email over SMTP, for staff who asked for it. Settings come from the environment."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from flask import current_app

from dispatch.extensions import db
from dispatch.models import Notification, User


def send_email(row: Notification) -> None:
    user = db.session.get(User, row.user_id)
    if user is None or not user.email:
        raise RuntimeError("the recipient has no email address any more")
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_FROM"]
    message["To"] = user.email
    message["Subject"] = row.text[:70]
    # The key names the message, so a mail system can drop a repeat.
    message["Message-ID"] = f"<{row.key.replace(':', '.')}@dispatch>"
    message["X-Idempotency-Key"] = row.key
    message.set_content(f"{row.text}\n\n{row.url}\n")
    with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=10) as smtp:
        if config["SMTP_STARTTLS"]:
            smtp.starttls()
        if config["SMTP_USER"]:
            smtp.login(config["SMTP_USER"], config["SMTP_PASSWORD"])
        smtp.send_message(message)
