//! The part of Canvas's GraphQL schema the stand-in answers (standin/README lists it):
//! `Query.legacyNode(_id: ID!, type: NodeType!): Node` for `User` (yourself) and `Course`,
//! `Query.allCourses: [Course!]` (the seed's courses: every user is enrolled in each), and
//! `__typename` everywhere. Validation runs first, as graphql-ruby's static validation does: any
//! error → `{"errors": [...]}` and no `data`, with graphql-ruby's messages, `locations`, `path`
//! and `extensions`.

use crate::graphql_types::Ty;
use crate::graphql_validate::{error, Checker};
use crate::seed::{Course, User};
use crate::state::App;
use base64::Engine as _;
use graphql_parser::query::{
    Definition, Document, Field, FragmentDefinition, OperationDefinition, Selection, SelectionSet, TypeCondition,
    Value as Gql,
};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

type Doc<'q> = Document<'q, &'q str>;
type Set<'q> = SelectionSet<'q, &'q str>;

pub struct Request<'r, 'q> {
    pub app: &'r App,
    pub user_id: u64,
    pub doc: &'r Doc<'q>,
    pub variables: &'r Map<String, Value>,
    pub operation: Option<&'r str>,
}

fn plain(message: &str) -> Value {
    json!({"errors": [{"message": message}]})
}

/// Validates, then runs, the chosen operation of `doc`.
pub fn execute(req: &Request) -> Value {
    let mut operations = Vec::new();
    let mut fragments = HashMap::new();
    for def in &req.doc.definitions {
        match def {
            Definition::Operation(op) => operations.push(op),
            Definition::Fragment(f) => {
                fragments.insert(f.name, f);
            }
        }
    }
    fn name_of<'q>(op: &OperationDefinition<'q, &'q str>) -> Option<&'q str> {
        match op {
            OperationDefinition::Query(q) => q.name,
            OperationDefinition::Mutation(m) => m.name,
            OperationDefinition::Subscription(s) => s.name,
            OperationDefinition::SelectionSet(_) => None,
        }
    }
    let op = match req.operation {
        Some(wanted) => match operations.iter().find(|op| name_of(op) == Some(wanted)) {
            Some(op) => *op,
            None => return plain(&format!("No operation named \"{wanted}\"")),
        },
        None if operations.len() == 1 => operations[0],
        None if operations.is_empty() => return plain("No operations in this document"),
        None => return plain("An operation name is required"),
    };
    let (set, kind, name) = match op {
        OperationDefinition::SelectionSet(s) => (s, "query", None),
        OperationDefinition::Query(q) => (&q.selection_set, "query", q.name),
        // Canvas has mutations; the stand-in models none, so each field is unknown on 'Mutation'.
        OperationDefinition::Mutation(m) => (&m.selection_set, "mutation", m.name),
        OperationDefinition::Subscription(_) => return plain("Schema is not configured for subscriptions"),
    };
    let mut checker = Checker { fragments: &fragments, errors: Vec::new() };
    let mut path = vec![name.map_or_else(|| kind.to_string(), |n| format!("{kind} {n}"))];
    if kind == "mutation" {
        for item in &set.items {
            if let Selection::Field(f) = item {
                path.push(f.name.to_string());
                checker.errors.push(error(
                    format!("Field '{}' doesn't exist on type 'Mutation'", f.name),
                    f.position,
                    &path,
                    json!({"code": "undefinedField", "typeName": "Mutation", "fieldName": f.name}),
                ));
                path.pop();
            }
        }
    } else {
        checker.check(set, Ty::Query, &mut path, 0);
    }
    if !checker.errors.is_empty() {
        return json!({"errors": checker.errors});
    }
    let run = Run { req, fragments: &fragments };
    json!({"data": run.object(set, Obj::Root, 0)})
}

#[derive(Clone, Copy)]
enum Obj<'a> {
    Root,
    User(&'a User),
    Course(&'a Course),
}

impl Obj<'_> {
    fn ty(self) -> Ty {
        match self {
            Obj::Root => Ty::Query,
            Obj::User(_) => Ty::User,
            Obj::Course(_) => Ty::Course,
        }
    }
}

struct Run<'r, 'q> {
    req: &'r Request<'r, 'q>,
    fragments: &'r HashMap<&'q str, &'r FragmentDefinition<'q, &'q str>>,
}

impl<'q> Run<'_, 'q> {
    fn object(&self, set: &Set<'q>, obj: Obj, depth: usize) -> Value {
        let mut out = Map::new();
        self.collect(set, obj, &mut out, depth);
        Value::Object(out)
    }

    fn collect(&self, set: &Set<'q>, obj: Obj, out: &mut Map<String, Value>, depth: usize) {
        if depth > 16 {
            return;
        }
        for item in &set.items {
            match item {
                Selection::Field(f) => {
                    let key = f.alias.unwrap_or(f.name).to_string();
                    let value = self.field(f, obj, depth);
                    out.insert(key, value);
                }
                Selection::InlineFragment(frag) => {
                    let on = match &frag.type_condition {
                        Some(TypeCondition::On(name)) => Ty::named(name),
                        None => Some(obj.ty()),
                    };
                    if on.is_some_and(|on| obj.ty().matches(on)) {
                        self.collect(&frag.selection_set, obj, out, depth + 1);
                    }
                }
                Selection::FragmentSpread(spread) => {
                    if let Some(def) = self.fragments.get(spread.fragment_name) {
                        let TypeCondition::On(name) = &def.type_condition;
                        if Ty::named(name).is_some_and(|on| obj.ty().matches(on)) {
                            self.collect(&def.selection_set, obj, out, depth + 1);
                        }
                    }
                }
            }
        }
    }

    fn field(&self, f: &Field<'q, &'q str>, obj: Obj, depth: usize) -> Value {
        let app = self.req.app;
        let global = |kind: &str, id: u64| base64::engine::general_purpose::STANDARD.encode(format!("{kind}-{id}"));
        match (obj, f.name) {
            (_, "__typename") => json!(obj.ty().name()),
            (Obj::Root, "allCourses") => Value::Array(
                app.config
                    .seed
                    .courses
                    .iter()
                    .map(|c| self.object(&f.selection_set, Obj::Course(c), depth + 1))
                    .collect(),
            ),
            (Obj::Root, "legacyNode") => {
                let id = self.argument(f, "_id").and_then(|v| match v {
                    Value::String(s) => s.parse::<u64>().ok(),
                    Value::Number(n) => n.as_u64(),
                    _ => None,
                });
                let found = match (self.argument(f, "type").as_ref().and_then(Value::as_str), id) {
                    // Canvas shows other users only to those allowed to read them; here: yourself.
                    (Some("User"), Some(id)) if id == self.req.user_id => app.user(id).map(Obj::User),
                    (Some("Course"), Some(id)) => app.config.seed.courses.iter().find(|c| c.id == id).map(Obj::Course),
                    _ => None,
                };
                found.map_or(Value::Null, |o| self.object(&f.selection_set, o, depth + 1))
            }
            (Obj::User(u), "_id") => json!(u.id.to_string()),
            (Obj::User(u), "id") => json!(global("User", u.id)),
            (Obj::User(u), "name" | "shortName") => json!(u.name),
            (Obj::User(u), "sortableName") => json!(match u.name.rsplit_once(' ') {
                Some((first, last)) => format!("{last}, {first}"),
                None => u.name.clone(),
            }),
            (Obj::Course(c), "_id") => json!(c.id.to_string()),
            (Obj::Course(c), "id") => json!(global("Course", c.id)),
            (Obj::Course(c), "name") => json!(c.name),
            (Obj::Course(c), "courseCode") => json!(c.course_code),
            _ => Value::Null,
        }
    }

    /// An argument's value: a literal, or a variable from the request (missing → none).
    fn argument(&self, f: &Field<'q, &'q str>, name: &str) -> Option<Value> {
        let (_, value) = f.arguments.iter().find(|(n, _)| *n == name)?;
        match value {
            Gql::Variable(v) => self.req.variables.get(*v).cloned(),
            Gql::String(s) => Some(json!(s)),
            Gql::Int(n) => n.as_i64().map(|n| json!(n)),
            Gql::Enum(e) => Some(json!(e)),
            _ => None,
        }
    }
}
