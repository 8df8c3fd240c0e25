"""The reliability settings of the Celery application (issue #2, item 8)."""

from __future__ import annotations

from flask import Flask

from participa.core import celery as celery_setup


def test_a_killed_worker_hands_its_task_back(app: Flask) -> None:
    conf = app.extensions["celery"].conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1


def test_visibility_timeout_fits_the_longest_task_and_redelivers_within_two_minutes(app: Flask) -> None:
    conf = app.extensions["celery"].conf
    options = conf.broker_transport_options
    assert conf.task_time_limit < options["visibility_timeout"], "a running task would be delivered twice"
    assert conf.task_soft_time_limit < conf.task_time_limit
    sweep = options["unacked_restore_interval"] * options["unacked_restore_throttle"]
    assert options["visibility_timeout"] + sweep < 120


def test_only_json_travels_on_the_wire(app: Flask) -> None:
    conf = app.extensions["celery"].conf
    assert conf.task_serializer == "json"
    assert list(conf.accept_content) == ["json"]


def test_mail_has_its_own_queue(app: Flask) -> None:
    router = app.extensions["celery"].amqp.router
    assert router.route({}, "mail.deliver")["queue"].name == "mail"
    assert router.route({}, "audit.seal")["queue"].name == "default"
    assert {q.name for q in app.extensions["celery"].conf.task_queues} == {"default", "mail", "long"}


def test_limits_are_the_documented_ones() -> None:
    assert celery_setup.VISIBILITY_TIMEOUT == 100
    assert celery_setup.TASK_TIME_LIMIT == 90
