//! The domain's closed sets as columns: each is stored as its text form (`as_str`) on both
//! backends and read back through its `parse`, so rows hold the enum, not a string.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::internal::derives::as_expression::Bound;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::{Nullable, Text};

use crate::domain::{
    ActionKind, BounceKind, CampaignStatus, Chamber, ChangeKind, ContactKind, Frequency, LinkKind,
    MessageKind, OutboxStatus, Outcome, PhoneKind, Problem, Relation, Status, SubscriberStatus,
    TargetKind, Zone,
};

/// Makes a `string_enum!` type a `Text` column on every backend (the multi-backend
/// connection and each backend's own, for the statements written per backend).
macro_rules! text_column {
    ($($t:ty),+ $(,)?) => {$(
        impl<DB: Backend> FromSql<Text, DB> for $t
        where
            String: FromSql<Text, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                let s = <String as FromSql<Text, DB>>::from_sql(bytes)?;
                <$t>::parse(&s).map_err(|e| format!("{s:?} {e}").into())
            }
        }

        impl<DB: Backend> Queryable<Text, DB> for $t
        where
            $t: FromSql<Text, DB>,
        {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }

        impl<DB: Backend> ToSql<Text, DB> for $t
        where
            str: ToSql<Text, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                <str as ToSql<Text, DB>>::to_sql(self.as_str(), out)
            }
        }

        impl AsExpression<Text> for $t {
            type Expression = Bound<Text, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl AsExpression<Nullable<Text>> for $t {
            type Expression = Bound<Nullable<Text>, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }

        impl<'a> AsExpression<Text> for &'a $t {
            type Expression = Bound<Text, Self>;
            fn as_expression(self) -> Self::Expression {
                Bound::new(self)
            }
        }
    )+};
}

text_column!(
    ActionKind,
    Status,
    TargetKind,
    ContactKind,
    PhoneKind,
    SubscriberStatus,
    BounceKind,
    OutboxStatus,
    Zone,
    ChangeKind,
    CampaignStatus,
    LinkKind,
    Relation,
    MessageKind,
    Frequency,
    Problem,
    Chamber,
    Outcome,
);
