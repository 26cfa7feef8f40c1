//! The domain's closed sets as columns: each is stored as its text form (`as_str`) on both
//! backends and read back through its `parse`, so rows hold the enum, not a string.

use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, Queryable};
use diesel::expression::AsExpression;
use diesel::internal::derives::as_expression::Bound;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{Nullable, Text};

use super::MultiBackend;
use crate::domain::{ActionKind, ContactKind, PhoneKind, Status, TargetKind};

/// Makes a `string_enum!` type a `Text` column.
macro_rules! text_column {
    ($($t:ty),+ $(,)?) => {$(
        impl FromSql<Text, MultiBackend> for $t {
            fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
                let s: String = bytes.from_sql::<String, Text>()?;
                <$t>::parse(&s).map_err(|e| format!("{s:?} {e}").into())
            }
        }

        impl Queryable<Text, MultiBackend> for $t {
            type Row = Self;
            fn build(row: Self) -> deserialize::Result<Self> {
                Ok(row)
            }
        }

        impl ToSql<Text, MultiBackend> for $t {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
                out.set_value((Text, self.as_str()));
                Ok(IsNull::No)
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

text_column!(ActionKind, Status, TargetKind, ContactKind, PhoneKind);
