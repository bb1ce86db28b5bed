// Time of one active-learning query over a pool of Fashion-MNIST's size (60,000 samples, 256-wide
// embeddings, 10 classes, 20 MC-dropout passes for BALD), per strategy, batch 20. Synthetic pool:
// the strategies' cost depends on the shapes, not on what the numbers mean.
//
//   bench_query_strategies [--pool N] [--dim D] [--batch B] [--threads T]
#include "activelearning/QueryStrategy.h"
#include "models/TorchRuntime.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <cstdio>
#include <torch/torch.h>

using namespace gw;

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    std::int64_t pool = 60000, dim = 256, batch = 20, labelled = 1000;
    int threads = 0;
    const QStringList args = app.arguments();
    for (int i = 1; i + 1 < args.size(); i += 2) {
        bool ok = false;
        const std::int64_t v = args[i + 1].toLongLong(&ok);
        if (!ok || v < 0) {
            std::fprintf(stderr, "bench_query_strategies: %s needs a number\n", qPrintable(args[i]));
            return 2;
        }
        if (args[i] == QStringLiteral("--pool"))
            pool = v;
        else if (args[i] == QStringLiteral("--dim"))
            dim = v;
        else if (args[i] == QStringLiteral("--batch"))
            batch = v;
        else if (args[i] == QStringLiteral("--threads"))
            threads = int(v);
        else {
            std::fprintf(stderr, "bench_query_strategies: unknown option %s\n", qPrintable(args[i]));
            return 2;
        }
    }
    const int threadsUsed = TorchRuntime::prepareForWork(threads);
    torch::manual_seed(1);
    QueryPool p;
    p.embeddings = torch::randn({pool, dim});
    p.labeledEmbeddings = torch::randn({labelled, dim});
    p.probabilities = torch::softmax(torch::randn({pool, 10}) * 2, 1);
    p.mcProbabilities = torch::softmax(torch::randn({20, pool, 10}) * 2, 2);
    QueryOptions options;
    options.batch = batch;

    QJsonArray results;
    for (const QString &name : QueryStrategy::names()) {
        const auto strategy = QueryStrategy::create(name);
        QElapsedTimer clock;
        clock.start();
        const std::vector<std::int64_t> picked = strategy->select(p, options);
        const double seconds = clock.nsecsElapsed() / 1e9;
        std::fprintf(stderr, "%-18s %8.3f s  (%zu picked)\n", qPrintable(name), seconds, picked.size());
        results.append(QJsonObject{{QStringLiteral("strategy"), name}, {QStringLiteral("seconds"), seconds},
                                   {QStringLiteral("picked"), double(picked.size())}});
    }
    const QJsonObject out{{QStringLiteral("benchmark"), QStringLiteral("query_strategies")},
                          {QStringLiteral("pool"), double(pool)},
                          {QStringLiteral("dim"), double(dim)},
                          {QStringLiteral("batch"), double(batch)},
                          {QStringLiteral("threads"), threadsUsed},
                          {QStringLiteral("results"), results}};
    std::printf("%s\n", QJsonDocument(out).toJson(QJsonDocument::Compact).constData());
    return 0;
}
