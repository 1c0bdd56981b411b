//! Print a mapping-spec proposal and a plan report for a small, made-up discovery.
//!
//! `cargo run -p migration-core --example propose`
#![allow(clippy::print_stdout)] // an example prints

use migration_core::plan::{Plan, RateLimits, standard_steps};
use migration_core::spec::{
    ChannelFacts, CustomerFacts, DiscoveryFacts, ExistingAttribute, FieldFacts, MappingSpec,
    TargetModel,
};

fn main() -> migration_core::Result<()> {
    let facts = DiscoveryFacts {
        custom_fields: vec![
            FieldFacts {
                source: "field2".into(),
                label: Some("Order number".into()),
                samples: vec!["1001".into(), "1002".into(), "".into(), "1017".into()],
                ..Default::default()
            },
            FieldFacts {
                source: "field3".into(),
                label: None,
                samples: ["gold", "silver", "gold", "bronze", "gold", "silver"]
                    .map(String::from)
                    .to_vec(),
                ..Default::default()
            },
            FieldFacts {
                source: "field4".into(),
                label: Some("תאריך חידוש".into()),
                samples: vec!["01/02/2024".into(), "03/04/2023".into()],
                ..Default::default()
            },
            FieldFacts {
                source: "field5".into(),
                label: Some("Phone".into()),
                samples: vec!["0501234567".into(), "0527654321".into()],
                ..Default::default()
            },
        ],
        intercom_attributes: vec![ExistingAttribute {
            model: TargetModel::Ticket,
            name: "order_number".into(),
            data_type: "string".into(),
        }],
        channels: vec![
            ChannelFacts {
                channel: "Mail".into(),
                tickets: 1200,
            },
            ChannelFacts {
                channel: "WhatsApp".into(),
                tickets: 800,
            },
        ],
        // WhatsApp customers are known by phone only: the draft makes them leads.
        customers: CustomerFacts {
            total: 900,
            with_email: 620,
            phone_only: 280,
            neither: 0,
        },
    };
    let proposal = MappingSpec::proposal(&facts);
    println!("{}", proposal.to_toml());

    let mut steps = standard_steps();
    for s in &mut steps {
        match s.id.as_str() {
            "contacts" => *s = s.clone().records(1500, 1.0, 2.0),
            "tickets" => *s = s.clone().records(2000, 1.0, 7.0).fixed(40, 0),
            "tags" => *s = s.clone().records(30, 0.0, 1.0),
            "ticket_type_attributes" => *s = s.clone().records(4, 0.0, 1.0),
            "ticket_types" => *s = s.clone().records(1, 0.0, 1.0),
            _ => {}
        }
    }
    let report = Plan::new(steps)?.report(&RateLimits::default())?;
    println!("{}", report.to_markdown());
    Ok(())
}
