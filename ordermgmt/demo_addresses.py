"""Structured, real-looking party data for the demo book: street, city, postal code and
region in the buyer's country, a VAT number or company id with valid check digits (made
with python-stdnum), a buyer reference and, in the EU, a Peppol endpoint id.

The demo loader draws the same random numbers as before and maps them here, so the rest
of the book (contracts, amounts) stays what it was."""

from __future__ import annotations

from stdnum.gb import vat as gb_vat
from stdnum.iso7064 import mod_11_10
from stdnum.jp import cn as jp_cn

# (city, region, postal code prefix or pattern, street)
PLACES = {
    "US": [
        ("Austin", "TX", "787", "Congress Avenue"),
        ("Denver", "CO", "802", "Larimer Street"),
        ("Chicago", "IL", "606", "West Wacker Drive"),
        ("Seattle", "WA", "981", "Pike Street"),
        ("Boston", "MA", "021", "Boylston Street"),
    ],
    "DE": [
        ("Berlin", "", "10", "Friedrichstraße"),
        ("München", "", "80", "Leopoldstraße"),
        ("Hamburg", "", "20", "Mönckebergstraße"),
        ("Köln", "", "50", "Hohenzollernring"),
        ("Frankfurt am Main", "", "60", "Mainzer Landstraße"),
    ],
    "GB": [
        ("London", "", "EC2V {d}HH", "Gresham Street"),
        ("Manchester", "", "M1 {d}BT", "Portland Street"),
        ("Leeds", "", "LS1 {d}DY", "Park Row"),
        ("Bristol", "", "BS1 {d}TR", "Queen Square"),
        ("Edinburgh", "", "EH2 {d}AD", "George Street"),
    ],
    "JP": [
        ("Chiyoda-ku, Tokyo", "", "100-00{n:02d}", "Marunouchi"),
        ("Kita-ku, Osaka", "", "530-00{n:02d}", "Umeda"),
        ("Naka-ku, Yokohama", "", "231-00{n:02d}", "Kaigandori"),
        ("Chuo-ku, Fukuoka", "", "810-00{n:02d}", "Tenjin"),
        ("Naka-ku, Nagoya", "", "460-00{n:02d}", "Sakae"),
    ],
}
PEPPOL_VAT_SCHEMES = {"DE": "9930", "GB": "9932"}


def german_vat(seed: int) -> str:
    digits = f"1{seed % 10_000_000:07d}"
    return f"DE{digits}{mod_11_10.calc_check_digit(digits)}"


def british_vat(seed: int) -> str:
    base = f"{seed % 10_000_000:07d}"
    for tail in range(100):
        candidate = f"{base}{tail:02d}"
        if gb_vat.is_valid(candidate):
            return f"GB{candidate}"
    raise ValueError("no valid GB VAT number near the seed")  # never for 7-digit bases


def japanese_corporate_number(seed: int) -> str:
    body = f"{seed:06d}{seed % 1_000_000:06d}"
    return jp_cn.calc_check_digit(body) + body


def us_ein(seed: int) -> str:
    return f"94-{seed % 10_000_000:07d}"


def demo_party(
    *, country: str, index: int, street_number: int, place_pick: int, postal_seed: int, id_seed: int
) -> dict:
    """Account fields for demo account `index` (the draws are the loader's own)."""
    city, region, postal, street = PLACES[country][place_pick % len(PLACES[country])]
    if country == "US":
        postal_code = f"{postal}{postal_seed % 100:02d}"
    elif country == "DE":
        postal_code = f"{postal}{postal_seed % 1000:03d}"
    else:
        postal_code = postal.format(d=postal_seed % 9 + 1, n=postal_seed % 100)
    fields = {
        "billing_address_line1": f"{street_number} {street}"
        if country in ("US", "GB")
        else f"{street} {street_number}",
        "billing_city": city,
        "billing_region": region,
        "billing_postal_code": postal_code,
        "buyer_reference": f"AP-{index + 1:05d}",
    }
    if country == "DE":
        fields["vat_id"] = german_vat(id_seed)
    elif country == "GB":
        fields["vat_id"] = british_vat(id_seed)
    elif country == "JP":
        fields["company_id"] = japanese_corporate_number(id_seed)
    else:
        fields["company_id"] = us_ein(id_seed)
    if country in PEPPOL_VAT_SCHEMES:
        fields["peppol_endpoint_id"] = f"{PEPPOL_VAT_SCHEMES[country]}:{fields['vat_id']}"
        fields["einvoice_format"] = "xrechnung" if country == "DE" else "ubl"
    fields["tax_id"] = fields.get("vat_id") or fields["company_id"]
    return fields
