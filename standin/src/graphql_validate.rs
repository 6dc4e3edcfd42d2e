//! graphql-ruby's static validation for the stand-in's schema (`graphql_schema.rs`): unknown
//! fields, types and fragments, missing or unexpected arguments, selections on scalars or missing
//! on objects. Each error has graphql-ruby's `message`, `locations`, `path` and `extensions`.

use crate::graphql_types::Ty;
use graphql_parser::query::{Field, FragmentDefinition, Selection, SelectionSet, TypeCondition};
use graphql_parser::Pos;
use serde_json::{json, Value};
use std::collections::HashMap;

pub(crate) fn error(message: String, at: Pos, path: &[String], extensions: Value) -> Value {
    json!({"message": message, "locations": [{"line": at.line, "column": at.column}], "path": path, "extensions": extensions})
}

pub(crate) struct Checker<'r, 'q> {
    pub fragments: &'r HashMap<&'q str, &'r FragmentDefinition<'q, &'q str>>,
    pub errors: Vec<Value>,
}

impl<'q> Checker<'_, 'q> {
    pub fn check(&mut self, set: &SelectionSet<'q, &'q str>, ty: Ty, path: &mut Vec<String>, depth: usize) {
        if depth > 16 {
            return;
        }
        for item in &set.items {
            match item {
                Selection::Field(f) => self.field(f, ty, path, depth),
                Selection::InlineFragment(frag) => {
                    let on = match &frag.type_condition {
                        Some(TypeCondition::On(name)) => match Ty::named(name) {
                            Some(t) => t,
                            None => {
                                self.undefined_type(name, frag.position, path);
                                continue;
                            }
                        },
                        None => ty,
                    };
                    path.push(format!("... on {}", on.name()));
                    self.check(&frag.selection_set, on, path, depth + 1);
                    path.pop();
                }
                Selection::FragmentSpread(spread) => match self.fragments.get(spread.fragment_name) {
                    None => self.errors.push(error(
                        format!("Fragment {} was used, but not defined", spread.fragment_name),
                        spread.position,
                        path,
                        json!({"code": "useAndDefineFragment", "fragmentName": spread.fragment_name}),
                    )),
                    Some(def) => {
                        let TypeCondition::On(name) = &def.type_condition;
                        let Some(on) = Ty::named(name) else {
                            self.undefined_type(name, def.position, path);
                            continue;
                        };
                        path.push(format!("... {}", spread.fragment_name));
                        self.check(&def.selection_set, on, path, depth + 1);
                        path.pop();
                    }
                },
            }
        }
    }

    fn undefined_type(&mut self, name: &str, at: Pos, path: &[String]) {
        self.errors.push(error(
            format!("No such type {name}, so it can't be a fragment condition"),
            at,
            path,
            json!({"code": "undefinedType", "typeName": name}),
        ));
    }

    fn field(&mut self, f: &Field<'q, &'q str>, ty: Ty, path: &mut Vec<String>, depth: usize) {
        path.push(f.name.to_string());
        match ty.field(f.name) {
            None => self.errors.push(error(
                format!("Field '{}' doesn't exist on type '{}'", f.name, ty.name()),
                f.position,
                path,
                json!({"code": "undefinedField", "typeName": ty.name(), "fieldName": f.name}),
            )),
            Some(None) if !f.selection_set.items.is_empty() => self.errors.push(error(
                format!("Selections can't be made on scalars (field '{}' returns a scalar but has selections)", f.name),
                f.position,
                path,
                json!({"code": "selectionMismatch", "nodeName": format!("field '{}'", f.name)}),
            )),
            Some(Some(returns)) if f.selection_set.items.is_empty() => self.errors.push(error(
                format!(
                    "Field must have selections (field '{0}' returns {1} but has no selections. Did you mean '{0} {{ ... }}'?)",
                    f.name,
                    returns.name()
                ),
                f.position,
                path,
                json!({"code": "selectionMismatch", "nodeName": format!("field '{}'", f.name), "typeName": returns.name()}),
            )),
            Some(returns) => {
                self.arguments(f, ty, path);
                if let Some(returns) = returns {
                    self.check(&f.selection_set, returns, path, depth + 1);
                }
            }
        }
        path.pop();
    }

    fn arguments(&mut self, f: &Field<'q, &'q str>, ty: Ty, path: &[String]) {
        let accepted: &[&str] = if (ty, f.name) == (Ty::Query, "legacyNode") { &["_id", "type"] } else { &[] };
        for (name, _) in &f.arguments {
            if !accepted.contains(name) {
                self.errors.push(error(
                    format!("Field '{}' doesn't accept argument '{name}'", f.name),
                    f.position,
                    path,
                    json!({"code": "argumentNotAccepted", "name": f.name, "typeName": "Field", "argumentName": name}),
                ));
            }
        }
        let missing: Vec<&str> =
            accepted.iter().copied().filter(|a| !f.arguments.iter().any(|(n, _)| n == a)).collect();
        if !missing.is_empty() {
            self.errors.push(error(
                format!("Field '{}' is missing required arguments: {}", f.name, missing.join(", ")),
                f.position,
                path,
                json!({"code": "missingRequiredArguments", "className": "Field", "name": f.name, "arguments": missing.join(", ")}),
            ));
        }
    }
}
