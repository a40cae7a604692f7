# Reference values for the patient-clustered heterogeneity tests of performance_by_stratum
# (hemstats/stats/scanner_clustered.py; tests/stats/test_scanner_heterogeneity.py).
#
# Input: tests/reference/heterogeneity.csv: 60 patients x 2 studies x 3-6 slices, labels and scores
# correlated within patient (ICC 0.5 on both latents), scores rounded to 0.01 (ties).  Written by
# tests/stats/test_scanner_heterogeneity.py::heterogeneity_frame; a test checks the file still equals it.
#   stratum_patient: one stratum per patient (strata share no patient);
#   stratum_study:   one per study, 30 % of patients have their two studies in two strata.
# Run from the repository root:  Rscript tests/reference/heterogeneity.R  -> tests/reference/heterogeneity.json
# Packages: geepack, pROC, jsonlite (Debian r-cran-*).

suppressPackageStartupMessages({
  library(geepack)
  library(pROC)
  library(jsonlite)
})

d <- read.csv("tests/reference/heterogeneity.csv", stringsAsFactors = FALSE)
d <- d[order(d$patient, d$study, d$slice), ]  # geeglm wants each cluster's rows together
d$correct <- as.integer((d$score >= 0.5) == (d$y == 1))
out <- list(r_version = R.version.string, geepack = as.character(packageVersion("geepack")),
            pROC = as.character(packageVersion("pROC")))

# -- Obuchowski (1997) clustered DeLong: placements summed within cluster ------------------------
obuchowski <- function(y, s, id, clusters) {
  pos <- s[y == 1]; neg <- s[y == 0]; M <- length(pos); N <- length(neg)
  psi <- outer(pos, neg, function(a, b) (a > b) + 0.5 * (a == b))
  A <- mean(psi)
  f10 <- factor(id[y == 1], levels = clusters); f01 <- factor(id[y == 0], levels = clusters)
  V10 <- tapply(rowMeans(psi), f10, sum); V10[is.na(V10)] <- 0
  V01 <- tapply(colMeans(psi), f01, sum); V01[is.na(V01)] <- 0
  m <- as.vector(table(f10)); n <- as.vector(table(f01))
  d10 <- as.vector(V10) - m * A; d01 <- as.vector(V01) - n * A
  I10 <- sum(m > 0); I01 <- sum(n > 0); I <- sum(m + n > 0)
  S10 <- I10 / ((I10 - 1) * M) * sum(d10^2)
  S01 <- I01 / ((I01 - 1) * N) * sum(d01^2)
  S11 <- I / (I - 1) * sum(d10 * d01)
  list(auc = A, var = S10 / M + S01 / N + 2 * S11 / (M * N), phi = d10 / M + d01 / N, n_clusters = I)
}

# sanity: one row per cluster -> DeLong's variance (pROC::var(method = "delong"))
r <- roc(d$y, d$score, levels = c(0, 1), direction = "<", quiet = TRUE)
o1 <- obuchowski(d$y, d$score, seq_len(nrow(d)), seq_len(nrow(d)))
stopifnot(isTRUE(all.equal(o1$var, var(r, method = "delong"), tolerance = 1e-12)))

# whole data, clustered by patient
o <- obuchowski(d$y, d$score, d$patient, unique(d$patient))
out$all <- list(auc = o$auc, var_clustered = o$var, var_delong = var(r, method = "delong"), n_clusters = o$n_clusters)

# -- equal AUCs across strata: Wald test with the clustered covariance (Cochran Q when diagonal) ---
q_test <- function(col) {
  strata <- sort(unique(d[[col]]))
  clusters <- unique(d$patient)
  parts <- lapply(strata, function(k) { s <- d[d[[col]] == k, ]; obuchowski(s$y, s$score, s$patient, clusters) })
  A <- sapply(parts, `[[`, "auc")
  phi <- sapply(parts, `[[`, "phi")  # clusters x strata
  G <- length(clusters)
  S <- G / (G - 1) * crossprod(phi)
  diag(S) <- sapply(parts, `[[`, "var")
  Si <- solve(S)
  one <- rep(1, length(A))
  pooled <- drop(one %*% Si %*% A) / drop(one %*% Si %*% one)
  Q <- drop(t(A - pooled) %*% Si %*% (A - pooled))
  # small-sample reference: F(K - 1, m - 1), m the fewest clusters with a case (or a control) in a stratum
  m <- min(sapply(strata, function(k) sapply(0:1, function(c) length(unique(d$patient[d[[col]] == k & d$y == c])))))
  list(strata = strata, auc = A, var = diag(S), cov = S, pooled = pooled, Q = Q, df = length(A) - 1,
       p_value = pchisq(Q, length(A) - 1, lower.tail = FALSE), m = m,
       p_value_f = pf(Q / (length(A) - 1), length(A) - 1, m - 1, lower.tail = FALSE),
       n_clusters = sapply(parts, `[[`, "n_clusters"))
}
out$q_patient <- q_test("stratum_patient")
out$q_study <- q_test("stratum_study")

# -- equal sensitivity and specificity: GEE Wald test of every stratum and class:stratum term -------
gee_test <- function(col) {
  d$stratum <- factor(d[[col]])
  d$yf <- factor(d$y)
  full <- geeglm(correct ~ yf * stratum, id = factor(patient), data = d, family = binomial,
                 corstr = "independence")
  null <- geeglm(correct ~ yf, id = factor(patient), data = d, family = binomial, corstr = "independence")
  a <- anova(full, null)  # anova(geeglm, geeglm): Wald test with the sandwich variance
  b <- coef(full); idx <- grep("stratum", names(b)); V <- vcov(full)
  W <- drop(t(b[idx]) %*% solve(V[idx, idx]) %*% b[idx])  # the same Wald statistic by hand
  stopifnot(isTRUE(all.equal(W, a$X2[1], tolerance = 1e-8)))
  # small-sample reference: F(df, m - 1), m the fewest clusters in a (class, stratum) cell
  m <- min(tapply(d$patient, list(d$y, d$stratum), function(x) length(unique(x))))
  list(statistic = a$X2[1], df = a$Df[1], p_value = a$`P(>|Chi|)`[1], by_hand = W, m = m,
       p_value_f = pf(a$X2[1] / a$Df[1], a$Df[1], m - 1, lower.tail = FALSE))
}
out$gee_patient <- gee_test("stratum_patient")
out$gee_study <- gee_test("stratum_study")

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/heterogeneity.json")
cat("wrote tests/reference/heterogeneity.json\n")
