"""CLUSTER NODES as the session cache reads it (app/sessions/cluster_invalidations.py): every
node a member, slots counted without migrations, failing nodes and what they still hold."""

from __future__ import annotations

from app.sessions.cluster_invalidations import SLOTS, Member, parse_layout

STEADY = """\
07c3 10.0.0.1:6379@16379 myself,master - 0 1426238317239 1 connected 0-5460 [5461->-67ed]
67ed 10.0.0.2:6379@16379,redis-1.example master - 0 1426238316232 2 connected 5461-10922
292f 10.0.0.3:6379@16379 master - 0 1426238318243 3 connected 10923-16382 16383
6ec2 10.0.0.4:6379@16379 slave 07c3 0 1426238316232 1 connected
824f 10.0.0.5:6379@16379 handshake - 0 0 0 connected
"""


def test_every_node_is_a_member_and_every_slot_is_counted_once():
    layout = parse_layout(STEADY, "10.0.0.9")
    assert layout.members == {
        Member("07c3", "10.0.0.1", 6379, False, False),
        Member("67ed", "10.0.0.2", 6379, False, False),
        Member("292f", "10.0.0.3", 6379, False, False),
        Member("6ec2", "10.0.0.4", 6379, False, False),  # a replica: listened to as well
    }  # the node in handshake is not a member yet
    assert layout.slots_held == SLOTS and layout.serves()
    assert layout.primaries == {"10.0.0.1:6379", "10.0.0.2:6379", "10.0.0.3:6379"}


# STEADY after 6ec2 took over from 07c3 (which now replicates it).
PROMOTED = """\
07c3 10.0.0.1:6379@16379 myself,slave 6ec2 0 1426238317239 4 connected
67ed 10.0.0.2:6379@16379,redis-1.example master - 0 1426238316232 2 connected 5461-10922
292f 10.0.0.3:6379@16379 master - 0 1426238318243 3 connected 10923-16382 16383
6ec2 10.0.0.4:6379@16379 master - 0 1426238316232 4 connected 0-5460
"""


def test_a_failover_keeps_the_layout_and_a_failing_primary_stops_it_serving():
    assert parse_layout(PROMOTED, "x") == parse_layout(STEADY, "x")  # roles and slots aside
    suspected = STEADY.replace("myself,master", "myself,master,fail?")
    assert not parse_layout(suspected, "x").serves()  # it still holds slots
    dead_replica = STEADY.replace("6ec2 10.0.0.4:6379@16379 slave", "6ec2 :0@0 slave,fail,noaddr")
    layout = parse_layout(dead_replica, "x")
    assert layout.serves()  # down, and holding no slot: it can take no write
    assert Member("6ec2", "x", 0, True, False) in layout.members


def test_a_lone_node_without_slots_does_not_serve():
    layout = parse_layout("a1b2 :6379@16379 myself,master - 0 0 0 connected\n", "10.0.0.7")
    assert layout.members == {Member("a1b2", "10.0.0.7", 6379, False, False)}
    assert layout.slots_held == 0 and not layout.serves()
