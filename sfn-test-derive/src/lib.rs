//! The `#[sfn_test]` and `#[case]` attributes of `sfn-test`, re-exported as
//! `sfn_test::{sfn_test, case}` and through `sfn_test::prelude::*`.
//!
//! `#[sfn_test]` goes on a function whose first parameter receives the loaded state machine and
//! turns it into tests. Each `#[case::name(args...)]` row below it becomes one `#[test]`, called
//! `<function>::<name>`, that passes `args` to the parameters after the state machine;
//! `#[case(args...)]` rows are named `case_1`, `case_2`, ... by their position. Without rows the
//! function itself becomes a single test.
//!
//! ```ignore
//! use sfn_test::prelude::*;
//!
//! // Tests `routes_by_amount::small` and `routes_by_amount::invalid`.
//! #[sfn_test(template = "template.yaml", state_machine = "OrderWorkflow")]
//! #[case::small(json!({ "amount": 40 }), "Approve")]
//! #[case::invalid(json!({ "amount": 0 }), "Reject")]
//! fn routes_by_amount(sm: &StateMachine, input: Value, last: &str) -> sfn_test::Result<()> {
//!     let valid = input["amount"].as_i64().unwrap_or(0) > 0;
//!     let run = sm.scenario().input(input).mock("Validate", json!({ "valid": valid })).run()?;
//!     assert_eq!(run.path().last().map(String::as_str), Some(last));
//!     Ok(())
//! }
//!
//! // A bare ASL file; `async fn` works too.
//! #[sfn_test(definition = "statemachine/flow.asl.json")]
//! async fn succeeds(sm: &StateMachine) {
//!     sm.scenario().run().unwrap().assert_succeeded();
//! }
//! ```
//!
//! Paths are relative to the directory of the crate's `Cargo.toml`. Each state machine is loaded
//! once per test binary, when the first test needing it runs; a loading error fails that test.
//! `#[ignore]`, `#[should_panic]` and `#[allow]` on the function apply to every generated test.

use std::collections::HashSet;

use proc_macro::TokenStream;
use proc_macro2::{Span, TokenStream as TokenStream2};
use quote::{ToTokens, format_ident, quote};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{
    Attribute, Error, Expr, ExprLit, FnArg, GenericParam, Ident, ItemFn, Lit, LitStr, Meta, Pat, Token, Visibility,
};

/// Turns a function receiving a loaded state machine into tests, one per `#[case]` row.
///
/// Takes either `template = "template.yaml", state_machine = "LogicalId"` (a SAM or
/// CloudFormation template and the logical id of its state machine resource) or
/// `definition = "flow.asl.json"` (a bare ASL file), relative to the crate's `Cargo.toml`.
///
/// The function's first parameter receives a `&'static StateMachine`; the others receive the
/// arguments of each `#[case::name(...)]` row. Every generated test returns what the function
/// returns, so `sfn_test::Result<()>` and `?` work, and an `async fn` is run to completion.
#[proc_macro_attribute]
pub fn sfn_test(attr: TokenStream, item: TokenStream) -> TokenStream {
    match syn::parse::<ItemFn>(item.clone()) {
        Ok(func) => expand(attr.into(), func).into(),
        Err(_) => {
            let error = Error::new(
                Span::call_site(),
                "#[sfn_test] goes on a function: `fn name(sm: &StateMachine, ...)`",
            );
            let mut out = error.to_compile_error();
            out.extend(TokenStream2::from(item));
            out.into()
        }
    }
}

/// One row of a `#[sfn_test]` function: `#[case::name(arg, ...)]`, or `#[case(arg, ...)]` for a
/// test named after its position (`case_1`, `case_2`, ...).
///
/// `#[sfn_test]` consumes these rows, so this attribute only expands when it is misplaced
/// (without `#[sfn_test]`, or above it), and then reports where it belongs. A misplaced named
/// row, `#[case::name(...)]`, is a path rustc cannot resolve and fails with rustc's own error.
#[proc_macro_attribute]
pub fn case(_attr: TokenStream, item: TokenStream) -> TokenStream {
    let error = Error::new(
        Span::call_site(),
        "#[case] needs #[sfn_test(...)] above it: put `#[sfn_test(template = \"...\", state_machine = \"...\")]` first",
    );
    let mut out = error.to_compile_error();
    // Re-emitting the item keeps the rest of the file type-checking (and the IDE working).
    out.extend(TokenStream2::from(item));
    out.into()
}

fn expand(attr: TokenStream2, func: ItemFn) -> TokenStream2 {
    let user = UserFn::split(func);
    let mut errors = Errors::default();
    let source = errors.ok(Source::parse(attr));
    let params = errors.ok(case_params(&user.body));
    let cases = parse_cases(&user, &mut errors);
    if let Some(params) = &params {
        for case in &cases {
            errors.ok(case.check_arity(params));
        }
    }
    match (errors.finish(), source) {
        (Ok(()), Some(source)) if cases.is_empty() => user.single_test(&source),
        (Ok(()), Some(source)) => user.case_module(&source, &cases),
        (errors, _) => {
            let errors = errors.err().map(|e| e.to_compile_error());
            let body = &user.body;
            // The function stays so that its body is still checked and the IDE keeps resolving it.
            quote! {
                #errors
                #[allow(dead_code)]
                #body
            }
        }
    }
}

/// Where the state machine comes from.
enum Source {
    Template { template: LitStr, state_machine: LitStr },
    Definition(LitStr),
}

impl Source {
    fn parse(attr: TokenStream2) -> syn::Result<Self> {
        let (mut template, mut state_machine, mut definition) = (None, None, None);
        let parser = syn::meta::parser(|meta| {
            let (key, slot) = if meta.path.is_ident("template") {
                ("template", &mut template)
            } else if meta.path.is_ident("state_machine") {
                ("state_machine", &mut state_machine)
            } else if meta.path.is_ident("definition") {
                ("definition", &mut definition)
            } else {
                let path = meta.path.to_token_stream().to_string().replace(' ', "");
                return Err(meta.error(format!(
                    "unknown key `{path}`: expected `template`, `state_machine` or `definition`"
                )));
            };
            if slot.is_some() {
                return Err(meta.error(format!("duplicate key `{key}`")));
            }
            let value: Expr = meta
                .value()
                .map_err(|_| meta.error(format!("expected `{key} = \"...\"`")))?
                .parse()?;
            let literal = string_literal(&value)
                .ok_or_else(|| Error::new_spanned(&value, format!("expected a string literal: `{key} = \"...\"`")))?;
            *slot = Some(literal);
            Ok(())
        });
        parser.parse2(attr)?;

        match (template, state_machine, definition) {
            (Some(template), Some(state_machine), None) => Ok(Self::Template {
                template,
                state_machine,
            }),
            (None, None, Some(definition)) => Ok(Self::Definition(definition)),
            (Some(_), _, Some(definition)) => Err(Error::new(
                definition.span(),
                "use either `template` with `state_machine`, or `definition`, not both",
            )),
            (None, Some(state_machine), Some(_)) => Err(Error::new(
                state_machine.span(),
                "`state_machine` goes with `template`: a `definition` file holds a single state machine",
            )),
            (Some(template), None, None) => Err(Error::new(
                template.span(),
                "`template` needs `state_machine = \"...\"`: the logical id of the state machine resource",
            )),
            (None, Some(state_machine), None) => Err(Error::new(
                state_machine.span(),
                "`state_machine` needs `template = \"...\"`: the SAM or CloudFormation template holding it",
            )),
            (None, None, None) => Err(Error::new(
                Span::call_site(),
                "expected `template = \"...\", state_machine = \"...\"` or `definition = \"...\"`",
            )),
        }
    }

    /// The expression handing out the (cached) `&'static StateMachine`.
    fn load(&self) -> TokenStream2 {
        match self {
            Self::Template {
                template,
                state_machine,
            } => quote! {
                ::sfn_test::__private::state_machine(::core::env!("CARGO_MANIFEST_DIR"), #template, #state_machine)
            },
            Self::Definition(definition) => quote! {
                ::sfn_test::__private::state_machine_from_definition(::core::env!("CARGO_MANIFEST_DIR"), #definition)
            },
        }
    }
}

fn string_literal(expr: &Expr) -> Option<LitStr> {
    match expr {
        Expr::Lit(ExprLit {
            lit: Lit::Str(literal), ..
        }) => Some(literal.clone()),
        // `macro_rules!` wraps `$value:expr` fragments in invisible groups.
        Expr::Group(group) => string_literal(&group.expr),
        _ => None,
    }
}

/// The user's function, its attributes sorted by where they end up.
struct UserFn {
    /// The function the tests call: everything the user wrote minus the attributes below.
    body: ItemFn,
    cases: Vec<(CaseName, Attribute)>,
    /// `#[ignore]` and `#[should_panic]`, which only mean something on a `#[test]`.
    test_attrs: Vec<Attribute>,
    /// Copies of the `#[allow]`s, which stay on the body too: the items repeating the function's
    /// name need them as well (`#[allow(non_snake_case)]`, a clippy lint about the name).
    allow_attrs: Vec<Attribute>,
    /// Repeated on every item emitted at the outer level so that they come and go together.
    cfg_attrs: Vec<Attribute>,
}

impl UserFn {
    fn split(mut body: ItemFn) -> Self {
        let (mut cases, mut test_attrs, mut allow_attrs, mut cfg_attrs) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for attr in std::mem::take(&mut body.attrs) {
            if let Some(name) = case_name(&attr) {
                cases.push((name, attr));
            } else if attr.path().is_ident("ignore") || attr.path().is_ident("should_panic") {
                test_attrs.push(attr);
            } else if attr.path().is_ident("test") {
                // A redundant `#[test]` would make the body, which takes parameters, a test too.
            } else {
                if attr.path().is_ident("cfg") {
                    cfg_attrs.push(attr.clone());
                } else if attr.path().is_ident("allow") {
                    allow_attrs.push(attr.clone());
                }
                body.attrs.push(attr);
            }
        }
        // The body is only called from next to it; a restricted `pub(in ...)` path would also
        // stop resolving once the body moves into the case module.
        body.vis = Visibility::Inherited;
        Self {
            body,
            cases,
            test_attrs,
            allow_attrs,
            cfg_attrs,
        }
    }

    /// Without rows: the body renamed, and a test under the function's name calling it.
    fn single_test(mut self, source: &Source) -> TokenStream2 {
        let name = self.body.sig.ident.clone();
        let body_name = format_ident!("__sfn_test_{}", name, span = name.span());
        self.body.sig.ident = body_name.clone();
        let test = self.test_fn(&name, &body_name, source, &[], &self.allow_attrs);
        // The name is linted once, on the test.
        let allow = allow_non_snake_case(&name);
        let Self { body, cfg_attrs, .. } = &self;
        quote! {
            #(#cfg_attrs)*
            #allow
            #body
            #(#cfg_attrs)*
            #test
        }
    }

    /// With rows: a module named after the function holding the body and one test per row.
    fn case_module(&self, source: &Source, cases: &[Case]) -> TokenStream2 {
        let name = &self.body.sig.ident;
        let tests = cases
            .iter()
            .map(|case| self.test_fn(&case.name, name, source, &case.args, &[]));
        // The name is linted once, on the module.
        let allow = allow_non_snake_case(name);
        let Self {
            body,
            allow_attrs,
            cfg_attrs,
            ..
        } = self;
        quote! {
            #(#cfg_attrs)*
            #(#allow_attrs)*
            mod #name {
                // The body was written in the outer module: give it the same names.
                #[allow(unused_imports)]
                use super::*;

                #allow
                #body

                #(#tests)*
            }
        }
    }

    fn test_fn(
        &self,
        name: &Ident,
        body_name: &Ident,
        source: &Source,
        args: &[Expr],
        allow_attrs: &[Attribute],
    ) -> TokenStream2 {
        let load = source.load();
        let mut call = quote!(#body_name(#load #(, #args)*));
        if self.body.sig.asyncness.is_some() {
            call = quote!(::sfn_test::__private::block_on(#call));
        }
        let test_attrs = &self.test_attrs;
        let output = &self.body.sig.output;
        quote! {
            #[test]
            #(#test_attrs)*
            #(#allow_attrs)*
            fn #name() #output {
                #call
            }
        }
    }
}

/// The function's name appears on two items; a non-snake-case one would be linted twice.
fn allow_non_snake_case(name: &Ident) -> Option<TokenStream2> {
    name.to_string()
        .chars()
        .any(char::is_uppercase)
        .then(|| quote!(#[allow(non_snake_case)]))
}

enum CaseName {
    Named(Ident),
    Positional,
}

/// Recognises `case`, `case::name` and the same behind `sfn_test::` or `sfn_test::prelude::`.
fn case_name(attr: &Attribute) -> Option<CaseName> {
    let segments: Vec<&Ident> = attr.path().segments.iter().map(|segment| &segment.ident).collect();
    let rest = match segments.as_slice() {
        [krate, prelude, rest @ ..] if *krate == "sfn_test" && *prelude == "prelude" => rest,
        [krate, rest @ ..] if *krate == "sfn_test" => rest,
        rest => rest,
    };
    match rest {
        [case] if *case == "case" => Some(CaseName::Positional),
        [case, name] if *case == "case" => Some(CaseName::Named((*name).clone())),
        _ => None,
    }
}

/// Checks the signature and names the parameters after the state machine, for messages.
fn case_params(body: &ItemFn) -> syn::Result<Vec<String>> {
    let sig = &body.sig;
    let mut errors = Errors::default();
    if let Some(receiver) = sig.receiver() {
        errors.push(Error::new_spanned(
            receiver,
            "#[sfn_test] goes on a free function, not on a method with `self`",
        ));
    }
    // Lifetime parameters are inferred at the call like any other; types and consts would
    // have to be spelled out by every row.
    if let Some(param) = sig
        .generics
        .params
        .iter()
        .find(|param| !matches!(param, GenericParam::Lifetime(_)))
    {
        errors.push(Error::new_spanned(
            param,
            "#[sfn_test] does not support generic functions: give the parameters concrete types",
        ));
    }
    if sig.inputs.is_empty() {
        errors.push(Error::new(
            sig.paren_token.span.join(),
            "the first parameter receives the loaded state machine: add `sm: &StateMachine`",
        ));
    }
    errors.finish()?;
    Ok(sig.inputs.iter().skip(1).map(param_name).collect())
}

fn param_name(arg: &FnArg) -> String {
    match arg {
        FnArg::Typed(typed) => match &*typed.pat {
            Pat::Ident(pat) => pat.ident.to_string(),
            pat => pat.to_token_stream().to_string(),
        },
        FnArg::Receiver(_) => "self".to_owned(),
    }
}

/// One `#[case]` row.
struct Case {
    name: Ident,
    args: Vec<Expr>,
    attr: Attribute,
}

impl Case {
    fn check_arity(&self, params: &[String]) -> syn::Result<()> {
        if self.args.len() == params.len() {
            return Ok(());
        }
        let expected = if params.is_empty() {
            "none: the function has no parameters after the state machine".to_owned()
        } else {
            let names: Vec<String> = params.iter().map(|param| format!("`{param}`")).collect();
            format!("{} ({})", params.len(), names.join(", "))
        };
        let plural = if self.args.len() == 1 { "" } else { "s" };
        let message = format!(
            "case `{}` has {} argument{plural}, expected {expected}",
            self.name,
            self.args.len()
        );
        Err(Error::new_spanned(&self.attr, message))
    }
}

/// Parses every row it can, so that the arity of the others is still checked.
fn parse_cases(user: &UserFn, errors: &mut Errors) -> Vec<Case> {
    let fn_name = &user.body.sig.ident;
    let mut seen = HashSet::new();
    let mut cases = Vec::new();
    for (index, (name, attr)) in user.cases.iter().enumerate() {
        let name = match name {
            CaseName::Named(name) => name.clone(),
            CaseName::Positional => format_ident!("case_{}", index + 1, span = attr.path().span()),
        };
        if ["self", "super", "crate", "Self"].iter().any(|keyword| name == keyword) {
            errors.push(Error::new(
                name.span(),
                format!("`{name}` cannot name a case: pick another name"),
            ));
        }
        // The body keeps the function's name inside the module, next to the tests.
        if name == *fn_name {
            errors.push(Error::new(
                name.span(),
                format!("case `{name}` has the name of the function: rename it"),
            ));
        }
        if !seen.insert(name.to_string()) {
            errors.push(Error::new(name.span(), format!("duplicate case name `{name}`")));
        }
        let args = match &attr.meta {
            Meta::Path(_) => Ok(Vec::new()),
            Meta::List(list) => list
                .parse_args_with(Punctuated::<Expr, Token![,]>::parse_terminated)
                .map(|args| args.into_iter().collect()),
            Meta::NameValue(_) => Err(Error::new_spanned(
                attr,
                "expected `#[case::name(arg, ...)]` or `#[case(arg, ...)]`",
            )),
        };
        if let Some(args) = errors.ok(args) {
            cases.push(Case {
                name,
                args,
                attr: attr.clone(),
            });
        }
    }
    cases
}

/// Collects every error so that one build reports them all.
#[derive(Default)]
struct Errors(Option<Error>);

impl Errors {
    fn push(&mut self, error: Error) {
        match &mut self.0 {
            Some(all) => all.combine(error),
            None => self.0 = Some(error),
        }
    }

    fn ok<T>(&mut self, result: syn::Result<T>) -> Option<T> {
        result.map_err(|error| self.push(error)).ok()
    }

    fn finish(self) -> syn::Result<()> {
        self.0.map_or(Ok(()), Err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expand_str(attr: &str, item: &str) -> String {
        let attr: TokenStream2 = attr.parse().unwrap();
        let func: ItemFn = syn::parse_str(item).unwrap();
        expand(attr, func).to_string()
    }

    /// The messages of the `compile_error!`s an expansion holds.
    fn errors(attr: &str, item: &str) -> Vec<String> {
        let out = expand_str(attr, item);
        let file: syn::File = syn::parse_str(&out).unwrap();
        let mut messages = Vec::new();
        for item in file.items {
            if let syn::Item::Macro(m) = item
                && m.mac.path.segments.last().is_some_and(|s| s.ident == "compile_error")
            {
                let lit: LitStr = m.mac.parse_body().unwrap();
                messages.push(lit.value());
            }
        }
        messages
    }

    const ROWS: &str = r#"
        #[case::small(json!({ "amount": 40 }), "Approve")]
        #[case::large(json!({ "amount": 4000 }), "Manual review")]
        fn routes(sm: &StateMachine, input: Value, last: &str) {}
    "#;

    #[test]
    fn rows_become_tests_in_a_module_named_after_the_function() {
        let out = expand_str(r#"template = "template.yaml", state_machine = "Flow""#, ROWS);
        let file: syn::File = syn::parse_str(&out).unwrap();
        let [syn::Item::Mod(module)] = file.items.as_slice() else {
            panic!("one module expected: {out}")
        };
        assert_eq!(module.ident, "routes");
        let tests: Vec<String> = module
            .content
            .as_ref()
            .unwrap()
            .1
            .iter()
            .filter_map(|i| match i {
                syn::Item::Fn(f) if f.attrs.iter().any(|a| a.path().is_ident("test")) => Some(f.sig.ident.to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(tests, ["small", "large"]);
        assert!(
            out.contains("state_machine (:: core :: env ! (\"CARGO_MANIFEST_DIR\") , \"template.yaml\" , \"Flow\")"),
            "{out}"
        );
    }

    #[test]
    fn without_rows_the_function_is_one_test() {
        let out = expand_str(r#"definition = "flow.asl.json""#, "fn loads(sm: &StateMachine) {}");
        assert!(out.contains("fn __sfn_test_loads"), "{out}");
        assert!(out.contains("# [test] fn loads ()"), "{out}");
        assert!(out.contains("state_machine_from_definition"), "{out}");
    }

    #[test]
    fn bad_attributes_are_errors_that_say_what_to_write() {
        let item = "fn f(sm: &StateMachine) {}";
        let e = errors(r#"templat = "t.yaml""#, item);
        assert!(e[0].contains("unknown key `templat`"), "{e:?}");
        let e = errors(r#"template = "t.yaml""#, item);
        assert!(e[0].contains("`template` needs `state_machine"), "{e:?}");
        let e = errors(
            r#"template = "t.yaml", state_machine = "F", definition = "d.json""#,
            item,
        );
        assert!(e[0].contains("not both"), "{e:?}");
        let e = errors(r#"definition = 3"#, item);
        assert!(e[0].contains("expected a string literal"), "{e:?}");
        let e = errors("", item);
        assert!(e[0].contains("expected `template"), "{e:?}");
    }

    #[test]
    fn bad_functions_and_rows_are_errors_and_the_function_stays() {
        let attr = r#"definition = "d.json""#;
        let e = errors(attr, "fn none() {}");
        assert!(e.iter().any(|m| m.contains("first parameter")), "{e:?}");
        let e = errors(attr, "#[case::a(1, 2)] fn f(sm: &StateMachine, x: u8) {}");
        assert!(e.iter().any(|m| m.contains("expected 1")), "{e:?}");
        let e = errors(attr, "#[case::a(1)] #[case::a(2)] fn f(sm: &StateMachine, x: u8) {}");
        assert!(e.iter().any(|m| m.contains("duplicate")), "{e:?}");
        // The body is still emitted, so the rest of the file keeps type-checking.
        assert!(expand_str(attr, "fn none() {}").contains("fn none ()"));
    }
}
