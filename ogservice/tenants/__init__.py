"""Tenants of the publisher API: their records, API keys (stored hashed), and per-key request rates.

    model.py      Tenant and ApiKey records (validated), the keyless "default" tenant
    tokens.py     the key format (ogs_live_..., with a checksum) and its stored hash
    store.py      TenantStore: create, look up, list and revoke keys in Redis
    ratelimit.py  RateLimiter: per-key rates shared by all processes (the `limits` library)
    cli.py        `ogservice keys create | list | revoke`

Daily budgets are enforced by the gateway (gateway/budget.py), which reads each tenant's budget from
its record; the web layer (web/auth.py) authenticates /v1 requests and exposes tenant_for_request().
"""
