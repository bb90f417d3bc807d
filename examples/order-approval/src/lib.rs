//! The order-approval example: a SAM application (`template.yaml`) whose state machine
//! (`statemachine/order.asl.json`) validates an order, holds large ones for a day of manual
//! review, charges the card and notifies the customer when it is declined. The tests under
//! `tests/` exercise it with sfn-test in all three ways.
