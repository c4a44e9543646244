"""Image sources: a user's image, uploaded or fetched SSRF-safely by URL, decoded and stored by hash.

    policy.py     which URLs and addresses a fetch may use (FetchPolicy)
    addresses.py  which IP addresses are public; numeric host forms read as the resolver reads them
    transport.py  connections only to checked addresses, all within one deadline
    fetch.py      Fetcher: resolve, check, connect, follow checked redirects, cap the body
    decode.py     bytes -> clean RGB/RGBA image (type by decoding, pixel cap, no metadata)
    hosts.py      OGS_IMAGE_HOSTS, the hosts image URLs in signed GET URLs may name
    assets.py     ImageSources: add / fetch / resolve / load_image over the Store

No Flask here: POST /v1/assets is web/assets_api.py.
"""
