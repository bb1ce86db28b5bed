// The --label-stdin protocol: the input is standard input, cut into lines by
// TerminalLabeling::consume and applied by TerminalLabeling::apply to an InteractiveOracle that is
// answering a batch, as `green-workbench run --label-stdin` does. The oracle waits in answer() on
// the loop's thread; here the input is given from its batchRequested signal (a direct connection,
// on the same thread), so one execution is one whole batch without a second thread, and a final
// "submit" ends it. The store behind it is a FakeLabelSink.
//
// Checked beyond "no crash": the batch ends exactly once and the oracle stops waiting, and every sample
// of the batch ends labelled or skipped (the promise of submit).
#include "FakeLabelSink.h"
#include "FuzzSupport.h"

#include "TerminalLabeling.h"
#include "activelearning/InteractiveOracle.h"

#include <atomic>
#include <cstdint>

namespace {

const std::vector<gw::LabelQuery> &batch()
{
    static const std::vector<gw::LabelQuery> queries = [] {
        std::vector<gw::LabelQuery> out;
        for (const qint64 index : {0, 3, 7, 42, 99}) {
            gw::LabelQuery q;
            q.sampleIndex = index;
            q.sampleKey = QStringLiteral("train/%1").arg(index);
            q.round = 2;
            q.predicted = int(index % 10);
            q.confidence = 0.5;
            out.push_back(q);
        }
        return out;
    }();
    return queries;
}

QStringList classNames()
{
    QStringList names;
    for (int c = 0; c < 10; ++c)
        names << QStringLiteral("class %1").arg(c);
    return names;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray input = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    // Standard input arrives in reads of any size; the size of the pieces follows the input's length
    // so that lines split across reads (and overlong ones) get their turn without a byte of the input
    // being spent on it.
    const qsizetype piece = qsizetype(size % 97) + 1;

    gw::InteractiveOracle oracle(QStringLiteral("fuzzer"));
    gwfuzz::FakeLabelSink sink(100, classNames());
    int finished = 0;
    QObject::connect(&oracle, &gw::InteractiveOracle::batchFinished, &oracle, [&finished](int) { ++finished; }, Qt::DirectConnection);
    QObject::connect(
        &oracle, &gw::InteractiveOracle::batchRequested, &oracle,
        [&oracle, &input, piece](const QVariantList &, const QVariantMap &) {
            // TerminalLabeling::start's reading loop, without the thread and the poll.
            QByteArray buffer;
            bool overlong = false;
            for (qsizetype at = 0; at < input.size(); at += piece) {
                buffer.append(input.mid(at, piece));
                (void)gw::TerminalLabeling::consume(buffer, overlong, oracle); // replies go to stdout in the app
            }
            // End of input: the last line may lack its line end.
            if (!buffer.isEmpty() && !overlong)
                buffer.append('\n');
            (void)gw::TerminalLabeling::consume(buffer, overlong, oracle);
            oracle.submit();
        },
        Qt::DirectConnection);

    const std::atomic_bool cancel{false};
    gw::LabelingContext context;
    context.classNames = classNames();
    context.labelsSoFar = 0;
    context.budget = 1000;
    oracle.answer(batch(), context, sink, cancel);

    if (gwfuzz::checkInvariants()) {
        if (finished != 1)
            gwfuzz::violated(QStringLiteral("the batch finished %1 times").arg(finished));
        if (oracle.waiting())
            gwfuzz::violated(QStringLiteral("the oracle still waits after a submit"));
        for (const gw::LabelQuery &q : batch())
            if (!sink.labelled(q.sampleIndex) && !sink.wasSkipped(q.sampleIndex))
                gwfuzz::violated(QStringLiteral("sample %1 of the batch is neither labelled nor skipped after submit").arg(q.sampleIndex));
    }
    return 0;
}
