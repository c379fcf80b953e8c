# Broken on purpose: a parse error (missing value after `package =`).
# Expected: NIX_SYNTAX_ERROR
{
  package = ;
}
