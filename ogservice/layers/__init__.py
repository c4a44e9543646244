"""AI layers: the step between a card's request and its composition that asks models for pixels.

plan.py      template + fields -> LayerAsk per model-made layer (pure)
route.py     LayerAsk -> LayerSpec (planned model, canonical request, layer key) or a local reason
keys.py      the layer key: what makes a generated layer the same layer
assets.py    ready layers in the store (layer/<key> -> asset/<sha>), failures in Redis
flight.py    single flight across processes: one RQ job per layer key
jobs.py      the job a worker runs: gateway -> OCR guard -> asset
worker.py    `ogservice worker`: RQ worker with heartbeats tuned to find dead workers fast
resolve.py   LayerSpec -> Ready | Pending | Local, waiting up to a deadline
report.py    X-Ogs-Layers and Server-Timing entries
service.py   LayerService: the above, built once per app (or CLI run)
"""
