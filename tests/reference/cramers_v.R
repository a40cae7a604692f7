# Reference values for hemstats.stats.acquisition.mix.cramers_v_interval: the interval of
# Cramer's V by inverting the noncentral chi-squared (Smithson 2003), computed with base R's
# pchisq(ncp=) and uniroot, an implementation independent of scipy's ncx2.
# Run: Rscript tests/reference/cramers_v.R > tests/reference/cramers_v.json
bound <- function(chi2, df, target) {
  tail <- function(lam) pchisq(chi2, df, ncp = lam, lower.tail = FALSE)
  if (tail(0) >= target) return(0)
  hi <- max(chi2, 1)
  while (tail(hi) < target) hi <- hi * 2
  uniroot(function(lam) tail(lam) - target, c(0, hi), tol = 1e-12)$root
}
cases <- list(c(10, 200, 2, 2, 0.95), c(25, 120, 2, 4, 0.90), c(3, 80, 2, 1, 0.95), c(40, 500, 3, 6, 0.95))
out <- lapply(cases, function(x) {
  chi2 <- x[1]; n <- x[2]; k <- x[3]; df <- x[4]; cl <- x[5]; a <- (1 - cl) / 2
  s <- n * (k - 1)
  list(chi2 = chi2, n = n, k = k, df = df, confidence_level = cl,
       ci_low = sqrt(bound(chi2, df, a) / s), ci_high = sqrt(bound(chi2, df, 1 - a) / s))
})
cat(jsonlite::toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "\n")
