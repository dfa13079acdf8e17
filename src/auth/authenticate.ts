import { OidcVerifier } from './oidc';
import { bearerToken, type Operator, type OperatorDirectory } from './operators';

/**
 * Who is calling: a bearer token of DSR_OPERATORS, else (when an identity provider is configured)
 * a verified access token of that provider. Anything else is no operator (UNAUTHENTICATED).
 */
export async function authenticate(
  header: string | undefined,
  operators: OperatorDirectory,
  oidc: OidcVerifier | undefined,
): Promise<Operator | undefined> {
  const token = bearerToken(header);
  if (token === undefined) return undefined;
  const known = operators.match(token);
  if (known || !oidc || !OidcVerifier.looksLikeJwt(token)) return known;
  return oidc.authenticate(token);
}
