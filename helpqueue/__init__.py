"""The help queue service: the engine that runs signaling.queue's state machine on one node at a time (`engine.py`,
`HelpQueueService`) and every node's front holding its sockets and the queue lease (`front.py`, `QueueFront`).
It speaks to the sockets through signaling's queue messages and keeps its state in tickets' queue_requests table;
the composition root (lensdesk/app.py) builds it from Settings and hands it to the web layer."""
