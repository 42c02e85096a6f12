//! Connection URLs as they may appear in errors and logs: without the password.

/// `postgres://user:secret@host/db` -> `postgres://user:***@host/db`; a `password=`
/// query parameter is hidden too.
pub(crate) fn redact(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((scheme, rest)) => (format!("{scheme}://"), rest),
        None => (String::new(), url),
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _password)) => format!("{user}:***@{host}"),
            None => format!("{userinfo}@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}{authority}{tail}")
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn hides_passwords_and_keeps_the_rest() {
        assert_eq!(
            redact("postgres://ada:s3cr@t@db:5432/app"),
            "postgres://ada:***@db:5432/app"
        );
        assert_eq!(
            redact("postgres://postgres@127.0.0.1:5432/test"),
            "postgres://postgres@127.0.0.1:5432/test"
        );
        assert_eq!(
            redact("postgres://db/app?user=ada&password=x&sslmode=off"),
            "postgres://db/app?user=ada&password=***&sslmode=off"
        );
        assert_eq!(redact("postgres://ada:pw@db"), "postgres://ada:***@db");
    }
}
