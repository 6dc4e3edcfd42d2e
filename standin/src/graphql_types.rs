//! The types of the stand-in's GraphQL schema and their fields (standin/README, "GraphQL").

#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Ty {
    Query,
    Node,
    User,
    Course,
}

impl Ty {
    pub fn name(self) -> &'static str {
        match self {
            Ty::Query => "Query",
            Ty::Node => "Node",
            Ty::User => "User",
            Ty::Course => "Course",
        }
    }
    pub fn named(name: &str) -> Option<Ty> {
        [Ty::Query, Ty::Node, Ty::User, Ty::Course].into_iter().find(|t| t.name() == name)
    }
    /// What a field of this type returns: `None` for a scalar, `Some(type)` for an object or list.
    pub fn field(self, name: &str) -> Option<Option<Ty>> {
        Some(match (self, name) {
            (_, "__typename") => None,
            (Ty::Query, "legacyNode") => Some(Ty::Node),
            (Ty::Query, "allCourses") => Some(Ty::Course),
            (Ty::Node, "id") => None,
            (Ty::User, "_id" | "id" | "name" | "shortName" | "sortableName") => None,
            (Ty::Course, "_id" | "id" | "name" | "courseCode") => None,
            _ => return None,
        })
    }
    /// Does an object of type `self` match the fragment condition `on`?
    pub fn matches(self, on: Ty) -> bool {
        on == self || (on == Ty::Node && matches!(self, Ty::User | Ty::Course))
    }
}
