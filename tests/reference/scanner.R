# Reference values for hemstats.stats.scanner / scanner_performance (tests/stats/test_scanner.py).
#
# Input: tests/reference/scanner.csv, the demo cohort (seed 0, 1200 studies) harmonised, with the
# consensus labels of `any` and `edh` and both models' `any` scores (written by
# tests/stats/test_scanner.py::reference_frame; a test checks the file still equals it).
# Run from the repository root:  Rscript tests/reference/scanner.R   -> tests/reference/scanner.json
# Packages: pROC, sandwich, jsonlite (Debian r-cran-*).

suppressPackageStartupMessages({
  library(pROC)
  library(sandwich)
  library(jsonlite)
})

d <- read.csv("tests/reference/scanner.csv", stringsAsFactors = FALSE, na.strings = "")
out <- list(r_version = R.version.string, pROC = as.character(packageVersion("pROC")),
            sandwich = as.character(packageVersion("sandwich")))

# -- 1. chi-squared test and Cramer's V: variable x y_any --------------------------------------
cramer <- function(tab) {
  x2 <- suppressWarnings(chisq.test(tab, correct = FALSE))
  k <- min(dim(tab)) - 1
  list(statistic = unname(x2$statistic), df = unname(x2$parameter), p_value = x2$p.value,
       cramers_v = sqrt(unname(x2$statistic) / (sum(tab) * k)))
}
assoc <- list()
for (v in c("vendor", "scanner_model", "kernel_family", "thickness_bin", "kvp")) {
  ok <- !is.na(d[[v]])
  assoc[[v]] <- cramer(table(d[[v]][ok], d$y_any[ok]))  # chisq.test(table(v, y), correct=FALSE)
}
out$association_any <- assoc

# -- 2. Fisher's exact test: a 2x2 with small expected counts ---------------------------------
# The first 200 studies, kernel_class x y_edh (expected positives < 5 in a cell).
s <- d[1:200, ]
tab <- table(s$kernel_class, s$y_edh)
f <- fisher.test(tab)
out$fisher_edh_first200 <- list(table = unclass(as.matrix(tab)), p_value = f$p.value,
                                min_expected = min(suppressWarnings(chisq.test(tab))$expected),
                                cramers_v = cramer(tab)$cramers_v, statistic = cramer(tab)$statistic)

# -- 3. logistic model of y_any: independence GEE = glm; robust SE = sandwich HC0 by patient ----
cc <- d[complete.cases(d[, c("vendor", "kernel_family", "thickness_bin", "kvp", "age_years", "sex")]), ]
top <- function(x) names(sort(table(x), decreasing = TRUE))[1]  # hemstats: most frequent level is the reference
for (v in c("vendor", "kernel_family", "thickness_bin", "sex")) cc[[v]] <- relevel(factor(cc[[v]]), ref = top(cc[[v]]))
cc$kvp10 <- cc$kvp / 10
cc$age10 <- cc$age_years / 10
fit <- glm(y_any ~ vendor + kernel_family + thickness_bin + kvp10 + age10 + sex, family = binomial, data = cc)
V <- vcovCL(fit, cluster = ~patient_id, type = "HC0", cadjust = FALSE)
out$glm_any <- list(n = nrow(cc), terms = names(coef(fit)), coef = unname(coef(fit)),
                    odds_ratio = unname(exp(coef(fit))), robust_se = unname(sqrt(diag(V))),
                    references = lapply(cc[, c("vendor", "kernel_family", "thickness_bin", "sex")], function(x) levels(x)[1]))

# -- 4. AUC per kernel family (DeLong) and the Q test of equal AUCs ------------------------------
families <- c("soft", "standard", "bone")
per <- list()
for (m in c("score_a", "score_b")) {
  a <- v <- lo <- hi <- numeric(0)
  for (k in families) {
    sub <- d[d$kernel_family == k, ]
    r <- roc(sub$y_any, sub[[m]], levels = c(0, 1), direction = "<", quiet = TRUE)
    ci <- ci.auc(r, method = "delong")  # pROC::ci.auc(method="delong")
    a <- c(a, as.numeric(auc(r))); v <- c(v, var(r, method = "delong")); lo <- c(lo, ci[1]); hi <- c(hi, ci[3])
  }
  w <- 1 / v
  pooled <- sum(w * a) / sum(w)
  Q <- sum(w * (a - pooled)^2)
  per[[m]] <- list(strata = families, auc = a, var = v, ci_low = lo, ci_high = hi,
                   pooled = pooled, Q = Q, df = length(a) - 1,
                   p_value = pchisq(Q, length(a) - 1, lower.tail = FALSE))
}
out$auc_by_kernel_family <- per

# -- 5. logistic interaction test of correctness: correct ~ y * stratum vs correct ~ y -----------
lrt <- list()
for (m in c("score_a", "score_b")) {
  d$correct <- as.integer((d[[m]] >= 0.5) == (d$y_any == 1))
  d$stratum <- factor(d$kernel_family, levels = families)
  m0 <- glm(correct ~ factor(y_any), family = binomial, data = d)
  m1 <- glm(correct ~ factor(y_any) * stratum, family = binomial, data = d)
  a <- anova(m0, m1, test = "LRT")  # anova(glm, glm, test="LRT")
  lrt[[m]] <- list(statistic = a$Deviance[2], df = a$Df[2], p_value = a$`Pr(>Chi)`[2])
}
out$correct_interaction <- lrt

# -- 6. Holm over the two models' Q p-values ------------------------------------------------------
out$holm_q <- p.adjust(c(per$score_a$p_value, per$score_b$p_value), method = "holm")

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE), "tests/reference/scanner.json")
cat("wrote tests/reference/scanner.json\n")
