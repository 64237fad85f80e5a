"""Channels: how one message reaches a person or a group (inbox, email, webhooks, SMS).

Plain senders called by the delivery job (``dispatch.jobs.delivery``); they import no
services and no jobs.
"""
