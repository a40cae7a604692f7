# Cluster-robust reference values for hemstats.stats.agreement (tests/stats/test_agreement.py).
#
#   Rscript tests/reference/agreement_cluster.R       # from the repository root
#
# Writes tests/reference/agreement_cluster.csv (the data, simulated here with a fixed seed:
# 40 patients, 1-2 studies each, 2-7 slices per study, three readers and a consensus, with
# a patient effect so slices of one patient are correlated) and agreement_cluster.json.
# Packages: survey (svydesign, svymean, svycontrast, svyciprop), jsonlite.
#
# The design is one-stage cluster sampling with replacement, no fpc:
#   des <- svydesign(ids = ~patient_id, data = d)
# so the variance of a mean is G / (G - 1) * sum_g (sum_{u in g} (y_u - ybar) / n)^2, and
# svycontrast() applies the delta method to the kappa formula written in the means of the
# indicators it needs.  Intervals: t(G - 1) quantile (df = degf(des)) on Fisher's z scale.
suppressPackageStartupMessages({
  library(survey)
  library(jsonlite)
})

set.seed(20261201)
rows <- list()
for (p in 1:40) {
  u <- rnorm(1)  # patient effect: within-patient correlation of the truth
  for (s in seq_len(sample(1:2, 1))) {
    for (k in seq_len(sample(2:7, 1))) {
      truth <- rbinom(1, 1, plogis(-0.7 + 1.5 * u))
      rate <- function(sens, spec) if (truth == 1) rbinom(1, 1, sens) else rbinom(1, 1, 1 - spec)
      rows[[length(rows) + 1]] <- data.frame(
        patient_id = sprintf("p%02d", p), study_id = sprintf("p%02d-s%d", p, s),
        slice_id = sprintf("p%02d-s%d-%d", p, s, k),
        R1 = rate(0.85, 0.90), R2 = rate(0.80, 0.93), R3 = rate(0.90, 0.85), truth = truth)
    }
  }
}
d <- do.call(rbind, rows)
d$consensus <- as.integer(d$R1 + d$R2 + d$R3 >= 2)
d$truth <- NULL
write.csv(d, file.path("tests", "reference", "agreement_cluster.csv"), row.names = FALSE)
d <- read.csv(file.path("tests", "reference", "agreement_cluster.csv"))

# hemstats' interval of a coefficient: t(G - 1) on Fisher's z scale with the svycontrast SE,
#   tanh(atanh(k) -/+ qt(0.975, degf(des)) * SE / (1 - k^2));  wald_* = confint(est, df = degf(des))
conf <- function(est, df) {
  k <- unname(coef(est)); se <- unname(SE(est)); q <- qt(0.975, df)
  ci <- confint(est, df = df)
  list(estimate = k, se = se, ci_low = tanh(atanh(k) - q * se / (1 - k^2)),
       ci_high = tanh(atanh(k) + q * se / (1 - k^2)), wald_low = ci[1, 1], wald_high = ci[1, 2], df = df)
}

# Cohen's kappa of two 0/1 raters from the means p11 = mean(a b), pa = mean(a), pb = mean(b)
cohen_cluster <- function(d, a, b, ids) {
  d$p11 <- d[[a]] * d[[b]]; d$pa <- d[[a]]; d$pb <- d[[b]]
  des <- svydesign(ids = ids, data = d)
  m <- svymean(~p11 + pa + pb, des)
  k <- svycontrast(m, quote(((p11 + 1 - pa - pb + p11) - (pa * pb + (1 - pa) * (1 - pb))) /
                              (1 - (pa * pb + (1 - pa) * (1 - pb)))))
  c(conf(k, degf(des)), n_clusters = degf(des) + 1)
}

# Fleiss' kappa and Gwet's AC1 of m raters, two categories, from mean(pa_u) and mean(x_u),
# pa_u = sum_k n_uk (n_uk - 1) / (m (m - 1)), x_u = n_u1 / m
set_cluster <- function(d, raters, ids, type) {
  m <- length(raters)
  n1 <- rowSums(d[, raters]); n0 <- m - n1
  d$pa <- (n1 * (n1 - 1) + n0 * (n0 - 1)) / (m * (m - 1)); d$x <- n1 / m
  des <- svydesign(ids = ids, data = d)
  mm <- svymean(~pa + x, des)
  f <- if (type == "fleiss") quote((pa - (x^2 + (1 - x)^2)) / (1 - (x^2 + (1 - x)^2)))
       else quote((pa - 2 * x * (1 - x)) / (1 - 2 * x * (1 - x)))
  c(conf(svycontrast(mm, f), degf(des)), n_clusters = degf(des) + 1)
}

# Korn-Graubard interval of a proportion: svyciprop(method = "beta")
kg <- function(d, expr, ids) {
  d$y <- as.numeric(eval(expr, d))
  des <- svydesign(ids = ids, data = d)
  ci <- svyciprop(~y, des, method = "beta")
  list(estimate = unname(as.numeric(ci)), ci_low = unname(attr(ci, "ci")[1]), ci_high = unname(attr(ci, "ci")[2]),
       n = nrow(d), n_clusters = degf(des) + 1)
}

pairs <- list(c("R1", "R2"), c("R1", "R3"), c("R2", "R3"))
out <- list(
  generated_by = "tests/reference/agreement_cluster.R",
  r_version = R.version.string,
  survey_version = as.character(packageVersion("survey")),
  n_slices = nrow(d), n_studies = length(unique(d$study_id)), n_patients = length(unique(d$patient_id))
)
for (by in c("patient_id", "study_id")) {
  ids <- as.formula(paste0("~", by))
  out[[by]] <- list(
    cohen = lapply(pairs, function(p) c(list(raters = paste(p, collapse = "|")), cohen_cluster(d, p[1], p[2], ids))),
    fleiss = set_cluster(d, c("R1", "R2", "R3"), ids, "fleiss"),
    ac1 = set_cluster(d, c("R1", "R2", "R3"), ids, "ac1"),
    pabak_po = lapply(pairs, function(p) c(list(raters = paste(p, collapse = "|")),
                                           kg(d, bquote(.(as.name(p[1])) == .(as.name(p[2]))), ids))),
    vs_consensus = lapply(c("R1", "R2", "R3"), function(r) list(
      raters = paste0(r, "|consensus"),
      # the reference-positive (negative) slices as their own design, as hemstats computes them
      sensitivity = kg(d[d$consensus == 1, ], bquote(.(as.name(r)) == 1), ids),
      specificity = kg(d[d$consensus == 0, ], bquote(.(as.name(r)) == 0), ids),
      kappa = cohen_cluster(d, r, "consensus", ids)))
  )
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           file.path("tests", "reference", "agreement_cluster.json"))
cat("wrote tests/reference/agreement_cluster.csv and agreement_cluster.json\n")
