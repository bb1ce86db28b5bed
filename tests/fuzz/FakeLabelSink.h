#pragma once
// A label store in memory with the rules of the active-learning loop's store sink
// (StoreLabelSink in core/activelearning/ActiveLearningWork.cpp): a sample must be in the pool and a
// label a class of it, a class must exist to be renamed, an undo takes back the latest live label.
// The fuzz target of the --label-stdin protocol drives an InteractiveOracle into it.
#include "Error.h"
#include "activelearning/Oracle.h"

#include <QMap>
#include <QSet>
#include <QStringList>
#include <algorithm>
#include <vector>

namespace gwfuzz {

class FakeLabelSink : public gw::LabelSink {
public:
    FakeLabelSink(qint64 poolSize, QStringList classNames) : poolSize_(poolSize), classNames_(std::move(classNames)) {}

    void give(qint64 sampleIndex, int label, const QString &annotator) override
    {
        if (sampleIndex < 0 || sampleIndex >= poolSize_)
            throw gw::Error(QStringLiteral("sample %1 is not in the pool (%2 samples)").arg(sampleIndex).arg(poolSize_));
        if (label < 0 || label >= std::max<qsizetype>(1, classNames_.size()))
            throw gw::Error(QStringLiteral("label %1 is not a class (0..%2)").arg(label).arg(classNames_.size() - 1));
        if (annotator.isEmpty())
            throw gw::Error(QStringLiteral("a label without an annotator"));
        live_[sampleIndex].push_back(label);
        ++given_;
    }
    bool undo(qint64 sampleIndex) override
    {
        auto it = live_.find(sampleIndex);
        if (it == live_.end() || it->empty())
            return false;
        it->pop_back();
        --given_;
        return true;
    }
    void skip(qint64 sampleIndex) override { skipped_.insert(sampleIndex); }
    void renameClass(int classIndex, const QString &name) override
    {
        if (classIndex < 0 || classIndex >= classNames_.size())
            throw gw::Error(QStringLiteral("class %1 does not exist (0..%2)").arg(classIndex).arg(classNames_.size() - 1));
        classNames_[classIndex] = name;
    }

    // Overrides LabelSink::hasLabel where the engine has it; no `override`, so the harness builds
    // against an engine with or without it.
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winconsistent-missing-override"
#endif
    virtual bool hasLabel(qint64 sampleIndex) const { return labelled(sampleIndex); }
#if defined(__clang__)
#pragma clang diagnostic pop
#endif

    qint64 given() const { return given_; }
    bool labelled(qint64 sampleIndex) const { return !live_.value(sampleIndex).empty(); }
    bool wasSkipped(qint64 sampleIndex) const { return skipped_.contains(sampleIndex); }

private:
    qint64 poolSize_;
    QStringList classNames_;
    QMap<qint64, std::vector<int>> live_;
    QSet<qint64> skipped_;
    qint64 given_ = 0;
};

} // namespace gwfuzz
