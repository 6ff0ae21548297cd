"""Thin Celery wrappers: load by id, call one service."""

import logging

from celery import shared_task

from core.errors import DomainValidationError
from ordermgmt.models import Contract

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def recognise_contract_revenue(contract_id: int, actor_id: int | None = None) -> bool:
    """Builds a contract's revenue that activation could not build (e.g. after its
    missing SSP was added). Returns False, and leaves the exception open, if it still
    cannot."""
    from django.contrib.auth import get_user_model

    from billing.revenue import services

    actor = get_user_model().objects.filter(pk=actor_id).first() if actor_id else None
    try:
        services.recognise_contract_revenue(
            contract=Contract.objects.get(pk=contract_id), actor=actor
        )
    except DomainValidationError as err:
        logger.info("revenue of contract %s not built: %s", contract_id, err.code)
        return False
    return True
