"""The call service: live calls (room, media, recording, analysis and guidance workers), carrying out the room's
actions, the finding mapping and recording recovery. It wires media, signaling, tickets, diagnostics and guidance
for one call; lensdesk/ (the composition root) builds it from Settings and hands it to web/."""
