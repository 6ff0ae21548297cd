import logging
import re

EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")


class RedactCustomerData(logging.Filter):
    """Masks e-mail addresses: log lines must never carry customer contact data."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if EMAIL.search(message):
            record.msg = EMAIL.sub("<redacted-email>", message)
            record.args = ()
        return True
