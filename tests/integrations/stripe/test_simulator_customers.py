import pytest
import stripe


def test_customer_is_created_with_details_and_read_back(stripe_client, stripe_simulator):
    created = stripe_client.v1.customers.create(
        params={
            "name": "Acme Corp",
            "email": "ap@acme.test",
            "tax_exempt": "reverse",
            "address": {"line1": "1 Main St", "city": "Berlin", "country": "DE"},
            "metadata": {"account_id": "42"},
        }
    )

    fetched = stripe_client.v1.customers.retrieve(created.id)

    assert created.id.startswith("cus_")
    assert fetched.object == "customer"
    assert fetched.livemode is False
    assert isinstance(fetched.created, int)
    assert (fetched.name, fetched.email, fetched.tax_exempt) == (
        "Acme Corp",
        "ap@acme.test",
        "reverse",
    )
    assert fetched.address.city == "Berlin"
    assert fetched.address.line2 is None
    assert fetched.metadata.to_dict() == {"account_id": "42"}
    assert stripe_simulator.count("customers") == 1


def test_customer_update_merges_metadata_and_unsets_empty_keys(stripe_client):
    created = stripe_client.v1.customers.create(
        params={"name": "Acme", "metadata": {"account_id": "42", "region": "emea"}}
    )

    updated = stripe_client.v1.customers.update(
        created.id,
        params={"email": "billing@acme.test", "metadata": {"region": "", "tier": "gold"}},
    )

    assert updated.email == "billing@acme.test"
    assert updated.metadata.to_dict() == {"account_id": "42", "tier": "gold"}


def test_customer_list_filters_by_email_and_pages(stripe_client):
    for index in range(3):
        stripe_client.v1.customers.create(params={"email": f"c{index}@acme.test"})

    by_email = stripe_client.v1.customers.list(params={"email": "c1@acme.test"})
    first_page = stripe_client.v1.customers.list(params={"limit": 2})

    assert [c.email for c in by_email.data] == ["c1@acme.test"]
    assert [c.email for c in first_page.data] == ["c2@acme.test", "c1@acme.test"]
    assert first_page.has_more is True
    everyone = [c.email for c in first_page.auto_paging_iter()]
    assert everyone == ["c2@acme.test", "c1@acme.test", "c0@acme.test"]


def test_deleted_customer_reads_as_deleted_and_cannot_be_invoiced(stripe_client):
    created = stripe_client.v1.customers.create(params={"name": "Gone Ltd"})

    deleted = stripe_client.v1.customers.delete(created.id)

    assert deleted.deleted is True
    assert stripe_client.v1.customers.retrieve(created.id).deleted is True
    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.invoices.create(params={"customer": created.id})
    assert (err.value.code, err.value.param) == ("resource_missing", "customer")


def test_module_level_api_base_reaches_the_simulator(stripe_client, stripe_simulator, monkeypatch):
    monkeypatch.setattr(stripe, "api_key", "sk_test_module_level")
    monkeypatch.setattr(stripe, "api_base", stripe_simulator.url)
    monkeypatch.setattr(stripe, "max_network_retries", 0)

    created = stripe.Customer.create(name="Module Style", metadata={"k": "v"})

    assert stripe.Customer.retrieve(created.id).name == "Module Style"
    assert stripe_simulator.count("customer") == 1


def test_rejected_update_changes_nothing(stripe_client):
    created = stripe_client.v1.customers.create(params={"name": "Acme", "tax_exempt": "none"})

    with pytest.raises(stripe.InvalidRequestError) as err:
        stripe_client.v1.customers.update(
            created.id, params={"name": "Renamed", "tax_exempt": "sometimes"}
        )

    assert err.value.param == "tax_exempt"
    assert stripe_client.v1.customers.retrieve(created.id).name == "Acme"
