# Reference values for the patient-clustered prevalence intervals of hemstats.stats.prevalence.
#
# Run from the repository root:   Rscript tests/reference/prevalence_cluster.R
# Writes tests/reference/prevalence_cluster.labels.csv and prevalence_cluster.studies.csv (a small
# simulated cohort, set.seed below) and tests/reference/prevalence_cluster.json (the expected values),
# read by tests/stats/test_prevalence.py.
#
# R survey (>= 4.1) and jsonlite.  Per dataset x finding x level, on the labelled units only:
#   des <- svydesign(ids = ~patient_id, data = d)             # one-stage cluster sample, with replacement
#   svyciprop(~I(value == 1), des, method = "logit")          # -> estimate, ci (cluster-logit)
#   svyciprop(~I(value == 1), des, method = "mean")           # -> ci (cluster-wald, before clipping)
#   SE(svymean(~value, des))                                   # -> se (linearisation)
#   deff(svymean(~value, des, deff = "replace"))              # -> design_effect
#   degf(des) + 1                                              # -> n_clusters
# deff = TRUE would give Inf here: without weights every unit has weight 1, the "population" is the
# sample and the without-replacement SRS variance is 0; "replace" is the with-replacement SRS variance
# p (1 - p) / (n - 1) that hemstats divides by.

suppressPackageStartupMessages({ library(survey); library(jsonlite) })
options(survey.lonely.psu = "fail")
out_dir <- "tests/reference"
RNGversion("4.0.0")
set.seed(20261201)

# alpha: 30 patients, 8 with a second study; beta: 6 patients (fewer than 10 clusters)
make <- function(dataset, n_pat, n_repeat, risk_any, risk_sdh) {
  pats <- sprintf("%s-P%02d", dataset, seq_len(n_pat))
  studies <- data.frame(dataset = dataset, patient_id = c(pats, pats[seq_len(n_repeat)]))
  studies$study_id <- sprintf("%s-S%03d", dataset, seq_len(nrow(studies)))
  rows <- list()
  for (i in seq_len(nrow(studies))) {
    m <- sample(4:14, 1)
    r_any <- rbeta(1, risk_any * 2, (1 - risk_any) * 2)        # patient-level risk: strong clustering
    y_any <- rbinom(m, 1, r_any)
    y_sdh <- y_any * rbinom(m, 1, risk_sdh)
    sl <- sprintf("%s-%02d", studies$study_id[i], seq_len(m))
    rows[[length(rows) + 1]] <- data.frame(dataset = dataset, study_id = studies$study_id[i], slice_id = sl,
      level = "slice", finding = rep(c("any", "sdh"), each = m), rater = "consensus", value = c(y_any, y_sdh))
    rows[[length(rows) + 1]] <- data.frame(dataset = dataset, study_id = studies$study_id[i], slice_id = NA,
      level = "study", finding = c("any", "sdh"), rater = "consensus", value = c(max(y_any), max(y_sdh)))
  }
  list(studies = studies[, c("dataset", "study_id", "patient_id")], labels = do.call(rbind, rows))
}
a <- make("alpha", 30, 8, 0.3, 0.4)
b <- make("beta", 6, 2, 0.4, 0.5)
studies <- rbind(a$studies, b$studies)
labels <- rbind(a$labels, b$labels)
# gaps: the sdh label of 7 alpha slices and of 2 alpha studies is missing (never a 0)
drop_slice <- which(labels$dataset == "alpha" & labels$level == "slice" & labels$finding == "sdh")[c(3, 10, 11, 12, 40, 41, 90)]
drop_study <- which(labels$dataset == "alpha" & labels$level == "study" & labels$finding == "sdh")[c(5, 33)]
labels <- labels[-c(drop_slice, drop_study), ]
write.csv(studies, file.path(out_dir, "prevalence_cluster.studies.csv"), row.names = FALSE, na = "")
write.csv(labels, file.path(out_dir, "prevalence_cluster.labels.csv"), row.names = FALSE, na = "")

d_all <- merge(labels, studies, by = c("dataset", "study_id"))
res <- list()
for (lev in c("slice", "study")) for (ds in c("alpha", "beta")) for (f in c("any", "sdh")) {
  d <- d_all[d_all$level == lev & d_all$dataset == ds & d_all$finding == f, ]
  des <- suppressWarnings(svydesign(ids = ~patient_id, data = d))
  lg <- svyciprop(~I(value == 1), des, method = "logit")
  mn <- svyciprop(~I(value == 1), des, method = "mean")
  sm <- svymean(~value, des, deff = "replace")
  res[[length(res) + 1]] <- list(
    level = lev, dataset = ds, finding = f, n = nrow(d), positives = sum(d$value),
    n_clusters = degf(des) + 1, estimate = as.numeric(coef(lg)),
    logit_low = as.numeric(confint(lg))[1], logit_high = as.numeric(confint(lg))[2],
    mean_low = as.numeric(confint(mn))[1], mean_high = as.numeric(confint(mn))[2],
    se = as.numeric(SE(sm)), design_effect = as.numeric(deff(sm)))
}
out <- list(generated_by = "Rscript tests/reference/prevalence_cluster.R", r_version = R.version.string,
            survey_version = as.character(packageVersion("survey")), clustered = res)
writeLines(toJSON(out, auto_unbox = TRUE, digits = 15, pretty = TRUE), file.path(out_dir, "prevalence_cluster.json"))
