"""The edges that talk to the network: chat webhooks (and, from other issues, status pages).

Nothing in the core imports this package. Webhook URLs are secrets: see settings.py.
"""
