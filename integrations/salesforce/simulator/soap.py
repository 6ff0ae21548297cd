"""SOAP partner-API login, the envelope simple-salesforce's SalesforceLogin posts.

simple-salesforce reads the reply with minidom by exact tag name: `sessionId` and
`serverUrl` unprefixed on success, `sf:exceptionCode`/`sf:exceptionMessage` on a fault,
so those tags are written exactly that way.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from xml.sax.saxutils import escape

ORG_ID = "00D5g000004LdGrEAK"


@dataclass(frozen=True)
class Credentials:
    username: str = "integration@ledgerline.test"
    password: str = "ledgerline-sim"
    security_token: str = "SIMTOKEN0000000000000000"

    def matches(self, username: str, password_and_token: str) -> bool:
        return (
            username.lower() == self.username.lower()
            and password_and_token == self.password + self.security_token
        )


def parse_login(body: bytes) -> tuple[str, str] | None:
    """(username, password+token) from a login envelope; None if it isn't one."""
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return None
    values: dict[str, str] = {}
    for element in root.iter():
        local = element.tag.rsplit("}", 1)[-1]
        if local in ("username", "password") and local not in values:
            values[local] = element.text or ""
    if "username" not in values or "password" not in values:
        return None
    return values["username"], values["password"]


def login_response(
    *, session_id: str, server_base: str, version: str, user_id: str, username: str
) -> bytes:
    server_url = f"{server_base}/services/Soap/u/{version}/{ORG_ID[:15]}"
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\
<soapenv:Body><loginResponse><result>\
<metadataServerUrl>{server_base}/services/Soap/m/{version}/{ORG_ID[:15]}</metadataServerUrl>\
<passwordExpired>false</passwordExpired><sandbox>true</sandbox>\
<serverUrl>{server_url}</serverUrl><sessionId>{escape(session_id)}</sessionId>\
<userId>{user_id}</userId><userInfo><organizationId>{ORG_ID}</organizationId>\
<organizationName>Ledgerline Simulator</organizationName><userId>{user_id}</userId>\
<userName>{escape(username)}</userName><userTimeZone>Etc/UTC</userTimeZone>\
</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>""".encode()


def login_fault(
    code: str = "INVALID_LOGIN",
    message: str = "Invalid username, password, security token; or user locked out.",
) -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" \
xmlns:sf="urn:fault.partner.soap.sforce.com" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><soapenv:Body><soapenv:Fault>\
<faultcode>sf:{code}</faultcode><faultstring>{code}: {escape(message)}</faultstring>\
<detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>{code}</sf:exceptionCode>\
<sf:exceptionMessage>{escape(message)}</sf:exceptionMessage></sf:LoginFault></detail>\
</soapenv:Fault></soapenv:Body></soapenv:Envelope>""".encode()
