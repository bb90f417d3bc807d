//! OrderWorkflow tested with the Rust API and with `#[sfn_test]` cases.

use sfn_test::prelude::*;

const TEMPLATE: &str = "template.yaml";

fn approved_mocks(scenario: Scenario<'_>) -> Scenario<'_> {
    scenario
        .mock("Validate", json!({ "valid": true, "reason": null }))
        .mock("ChargeCardFunction", json!({ "chargeId": "ch_1" }))
}

#[test]
fn small_orders_are_approved() -> sfn_test::Result<()> {
    let sm = StateMachine::from_template(TEMPLATE, "OrderWorkflow")?;
    let run = approved_mocks(sm.scenario())
        .input(json!({ "orderId": "o-1", "amount": 40 }))
        .run()?;
    run.assert_succeeded()
        .assert_path(["Validate", "Route order", "Charge card", "Approve"])
        .assert_output(json!({ "orderId": "o-1", "approved": true, "chargeId": "ch_1" }));
    // The Lambda function was called with the Parameters the state built.
    assert_eq!(
        run.calls("ChargeCardFunction"),
        [&json!({ "orderId": "o-1", "amount": 40 })]
    );
    assert_eq!(run.elapsed(), Duration::ZERO);
    Ok(())
}

#[test]
fn busy_card_is_retried_with_backoff() -> sfn_test::Result<()> {
    let sm = StateMachine::from_template(TEMPLATE, "OrderWorkflow")?;
    let run = sm
        .scenario()
        .input(json!({ "orderId": "o-2", "amount": 40 }))
        .mock("Validate", json!({ "valid": true, "reason": null }))
        .mock(
            "Charge card",
            Mock::sequence([
                Mock::throw("Card.Busy", "try later"),
                Mock::throw("Card.Busy", "try later"),
                Mock::ret(json!({ "chargeId": "ch_2" })),
            ]),
        )
        .run()?;
    run.assert_succeeded();
    assert_eq!(run.calls("Charge card").len(), 3);
    // Back-off on the virtual clock: 2 s, then 2 × 2 = 4 s.
    assert_eq!(run.elapsed(), Duration::from_secs(6));
    Ok(())
}

#[test]
fn declined_card_notifies_the_customer_and_fails() -> sfn_test::Result<()> {
    let sm = StateMachine::from_template(TEMPLATE, "OrderWorkflow")?;
    let run = sm
        .scenario()
        .input(json!({ "orderId": "o-3", "amount": 40 }))
        .mock("Validate", json!({ "valid": true, "reason": null }))
        .mock("Charge card", Mock::throw("Card.Declined", "insufficient funds"))
        .mock("DeclinedTopic", json!({ "MessageId": "m-1" }))
        .run()?;
    run.assert_failed_with_cause("Order.Declined", "the card was declined")
        .assert_visited("Notify customer")
        .assert_not_visited("Approve");
    let published = run.calls("DeclinedTopic");
    assert_eq!(published.len(), 1);
    assert_eq!(published[0]["Message"], "Order o-3 was declined: insufficient funds");
    Ok(())
}

#[sfn_test(template = "template.yaml", state_machine = "OrderWorkflow")]
#[case::small(json!({ "orderId": "s", "amount": 40 }), "Approve", 0)]
#[case::large(json!({ "orderId": "l", "amount": 4000 }), "Approve", 86_400)]
#[case::invalid(json!({ "orderId": "i", "amount": 0 }), "Reject", 0)]
fn routes_by_amount(sm: &StateMachine, input: Value, last: &str, waited_secs: u64) {
    let valid = input["amount"].as_i64().unwrap_or(0) > 0;
    let run = sm
        .scenario()
        .input(input)
        .mock(
            "Validate",
            json!({ "valid": valid, "reason": "amount must be positive" }),
        )
        .mock("Charge card", json!({ "chargeId": "ch" }))
        .run()
        .unwrap();
    assert_eq!(run.path().last().map(String::as_str), Some(last));
    assert_eq!(run.elapsed(), Duration::from_secs(waited_secs));
}
