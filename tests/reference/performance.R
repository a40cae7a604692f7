# Reference values for hemstats.stats.roc / performance / bootstrap, computed with pROC.
# Regenerate (from the repository root):
#   Rscript tests/reference/performance.R > tests/reference/performance.json
# The data sets are drawn here (set.seed) and written into the JSON with the results, so the
# Python tests use exactly the same numbers.  pROC is called with direction = "<" and
# levels = c(0, 1) (cases have the higher scores); "auto" would flip AUCs below 0.5.
suppressPackageStartupMessages({
  library(pROC)
  library(jsonlite)
})

make_case <- function(seed, n, prevalence, digits, d1, d2, rho) {
  set.seed(seed)
  y <- rbinom(n, 1, prevalence)
  e1 <- rnorm(n)
  e2 <- rho * e1 + sqrt(1 - rho^2) * rnorm(n)
  s1 <- round(plogis(d1 * y + e1), digits)
  s2 <- round(plogis(d2 * y + e2), digits)
  list(y = y, s1 = s1, s2 = s2)
}

reference <- function(case, threshold, specificities, sensitivities, boot_n) {
  r1 <- roc(case$y, case$s1, levels = c(0, 1), direction = "<", quiet = TRUE)
  r2 <- roc(case$y, case$s2, levels = c(0, 1), direction = "<", quiet = TRUE)
  ci95 <- ci.auc(r1, method = "delong", conf.level = 0.95)
  ci90 <- ci.auc(r1, method = "delong", conf.level = 0.90)
  ci95_2 <- ci.auc(r2, method = "delong", conf.level = 0.95)
  test <- roc.test(r1, r2, paired = TRUE, method = "delong")
  set.seed(1)
  ci_boot <- ci.auc(r1, method = "bootstrap", boot.n = boot_n, boot.stratified = TRUE, conf.level = 0.95)
  set.seed(2)
  cse <- ci.se(r1, specificities = specificities, boot.n = boot_n, boot.stratified = TRUE, conf.level = 0.95)
  set.seed(3)
  csp <- ci.sp(r1, sensitivities = sensitivities, boot.n = boot_n, boot.stratified = TRUE, conf.level = 0.95)
  co <- coords(r1, x = threshold, input = "threshold",
               ret = c("sensitivity", "specificity", "ppv", "npv", "accuracy", "tp", "fp", "tn", "fn"),
               transpose = FALSE)
  list(
    data = case,
    auc_1 = as.numeric(auc(r1)),
    auc_2 = as.numeric(auc(r2)),
    var_delong_1 = var(r1, method = "delong"),
    ci_delong_95 = as.numeric(ci95)[c(1, 3)],
    ci_delong_90 = as.numeric(ci90)[c(1, 3)],
    ci_delong_95_model_2 = as.numeric(ci95_2)[c(1, 3)],
    roc_test_z = unname(test$statistic),
    roc_test_p = test$p.value,
    roc_test_conf_int = as.numeric(test$conf.int),
    ci_auc_bootstrap = as.numeric(ci_boot)[c(1, 3)],
    boot_n = boot_n,
    ci_se_specificities = specificities,
    ci_se = unname(as.matrix(cse)),  # rows: specificities; columns: 2.5%, 50%, 97.5%
    ci_sp_sensitivities = sensitivities,
    ci_sp = unname(as.matrix(csp)),
    threshold = threshold,
    coords_at_threshold = as.list(co[1, ])
  )
}

out <- list(
  pROC_version = as.character(packageVersion("pROC")),
  R_version = R.version.string,
  ties_n80 = reference(make_case(20261122, 80, 0.3, 1, 1.5, 1.0, 0.5),
                       threshold = 0.6, specificities = c(0.5, 0.7, 0.8, 0.9, 0.95),
                       sensitivities = c(0.5, 0.7, 0.8, 0.9, 0.95), boot_n = 10000),
  ties_n600 = reference(make_case(7, 600, 0.1, 2, 2.0, 1.6, 0.6),
                        threshold = 0.5, specificities = c(0.5, 0.7, 0.8, 0.9, 0.95),
                        sensitivities = c(0.5, 0.7, 0.8, 0.9, 0.95), boot_n = 10000),
  weak_n40 = reference(make_case(11, 40, 0.5, 1, 0.3, 0.0, 0.3),
                       threshold = 0.5, specificities = c(0.5, 0.8),
                       sensitivities = c(0.5, 0.8), boot_n = 2000)
)

# Calibration: logistic recalibration on logit(p) (slope) and with offset logit(p) (intercept,
# "calibration-in-the-large"), Wald intervals (confint.default), Brier score.
calibration_case <- function(seed, n) {
  set.seed(seed)
  lp <- rnorm(n, -1, 1.5)
  p <- plogis(lp)
  y <- rbinom(n, 1, plogis(-0.3 + 0.7 * lp))  # over-confident, too high: slope < 1, intercept < 0
  ctl <- glm.control(epsilon = 1e-14, maxit = 100)  # converge fully: compare to 1e-6
  slope_fit <- glm(y ~ qlogis(p), family = binomial, control = ctl)
  int_fit <- glm(y ~ 1, offset = qlogis(p), family = binomial, control = ctl)
  list(
    data = list(y = y, p = p),
    brier = mean((p - y)^2),
    slope = unname(coef(slope_fit)[2]),
    slope_ci = unname(confint.default(slope_fit)[2, ]),
    slope_model_intercept = unname(coef(slope_fit)[1]),
    intercept = unname(coef(int_fit)[1]),
    intercept_ci = unname(confint.default(int_fit)[1, ])
  )
}
out$calibration_n400 <- calibration_case(3, 400)

# Two-sided normal p-values far in the tail (compare_auc computes them in log space):
# 2 * pnorm(-|z|) and its natural log, log(2) + pnorm(-|z|, log.p = TRUE); at |z| = 40 p is
# below the smallest double (p = 0) but its log is finite.  Holm adjustment of three p-values.
out$tail_p <- list(
  z = c(5, 30, 40),
  p = 2 * pnorm(-c(5, 30, 40)),
  log_p = log(2) + pnorm(-c(5, 30, 40), log.p = TRUE),
  holm_in = c(0.01, 0.04, 0.03),
  holm = p.adjust(c(0.01, 0.04, 0.03), method = "holm")
)
cat(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE))
cat("\n")
