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


class ClientErrorsOnOneLine(logging.Filter):
    """A refused request (4xx: a 403 from a role check, a 404) is the client's mistake, not
    ours: it is logged as its one line, without the traceback Django attaches to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
