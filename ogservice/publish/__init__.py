"""The publisher API: POST /v1/cards (several sizes in one call, jobs for AI layers) and the CMS
publish hook (signed deliveries, final pre-renders, signed callbacks).

    models.py     request and response models of both endpoints (OpenAPI is generated from them)
    render.py     renders a card's sizes into results (URLs, signed og URLs, layers)
    jobs.py       job records in Redis: tenant, state, progress, result, callback outcome
    queue.py      the RQ queue of card jobs and its entry points (run on `ogservice worker`)
    webhooks.py   the signature scheme (X-Ogs-Signature, Ghost's X-Ghost-Signature), replays
    deliveries.py publish-hook payloads (generic and Ghost) and idempotency on post id + version
    callback.py   the signed, SSRF-safe POST of a hook's result to the tenant's callback URL
"""
