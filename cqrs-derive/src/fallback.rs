//! What a derive emits: the impls wrapped in a `const _` block, or the errors
//! beside stub impls so that one mistake produces one error.

use proc_macro2::TokenStream;
use quote::quote;

pub(crate) fn wrap(impls: TokenStream) -> TokenStream {
    quote! {
        #[doc(hidden)]
        #[allow(non_upper_case_globals, unused_qualifications)]
        const _: () = {
            #impls
        };
    }
}

pub(crate) fn errors_with_stub(errors: syn::Error, stub: TokenStream) -> TokenStream {
    let errors = errors.to_compile_error();
    let stub = wrap(stub);
    quote! {
        #errors
        #stub
    }
}
