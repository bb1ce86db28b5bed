#include "LabelingView.h"

#include "activelearning/InteractiveOracle.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QCoreApplication>
#include <QDialog>
#include <QInputDialog>
#include <QLineEdit>
#include <QKeyEvent>
#include <QLabel>
#include <QPushButton>
#include <QScrollArea>
#include <QSplitter>
#include <QTableWidget>
#include <QTime>
#include <QUndoCommand>
#include <QUndoStack>
#include <QVBoxLayout>

namespace gw {

namespace {

constexpr int kHistoryRows = 100;

/// Gives a sample a class; undoing it marks that label undone in the store, so the label the
/// sample had before (if any) is in force again.
class AssignCommand : public QUndoCommand {
public:
    AssignCommand(LabelingView &view, qint64 sample, int label, std::optional<int> previous, const QString &text)
        : QUndoCommand(text), view_(view), sample_(sample), label_(label), previous_(previous)
    {
    }
    void redo() override { view_.requestAssign(sample_, label_); }
    void undo() override { view_.requestUndo(sample_, previous_); }

private:
    LabelingView &view_;
    qint64 sample_;
    int label_;
    std::optional<int> previous_;
};

class SkipCommand : public QUndoCommand {
public:
    SkipCommand(LabelingView &view, qint64 sample, const QString &text) : QUndoCommand(text), view_(view), sample_(sample) {}
    void redo() override { view_.requestSkip(sample_, true); }
    void undo() override { view_.requestSkip(sample_, false); }

private:
    LabelingView &view_;
    qint64 sample_;
};

/// The zoom on one image: Escape closes it; any other key closes it and goes on to the view, so
/// the person labels what they just looked at with the key they would press anyway.
class ImageZoom : public QDialog {
public:
    explicit ImageZoom(QWidget *view) : QDialog(view), view_(view) {}

protected:
    void keyPressEvent(QKeyEvent *event) override
    {
        if (event->key() != Qt::Key_Escape) {
            QKeyEvent forwarded(event->type(), event->key(), event->modifiers(), event->text());
            QCoreApplication::sendEvent(view_, &forwarded);
        }
        close();
    }

private:
    QWidget *view_;
};

} // namespace

LabelingView::LabelingView(QWidget *parent)
    : QWidget(parent), grid_(new LabelingGrid), progress_(new QLabel), classButtons_(new ClassButtons), history_(new QTableWidget(0, 4)),
      undoStack_(new QUndoStack(this))
{
    setFocusPolicy(Qt::StrongFocus);
    auto *scroll = new QScrollArea;
    scroll->setWidget(grid_);
    scroll->setWidgetResizable(true);
    scroll->setFocusPolicy(Qt::NoFocus);

    auto *help = new QLabel(tr("Keys: 1-9, 0 give a class \u00b7 arrows move \u00b7 S skips \u00b7 Return submits \u00b7 "
                               "Ctrl+Z / Ctrl+Shift+Z undo and redo"));
    help->setWordWrap(true);
    auto *submitButton = new QPushButton(tr("Submit batch"));
    submitButton->setFocusPolicy(Qt::NoFocus);
    connect(submitButton, &QPushButton::clicked, this, &LabelingView::submit);
    progress_->setWordWrap(true);
    progress_->setAccessibleName(tr("Labeling progress"));

    auto *left = new QWidget;
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(0, 0, 0, 0);
    auto *top = new QHBoxLayout;
    top->addWidget(progress_, 1);
    top->addWidget(submitButton);
    leftLayout->addLayout(top);
    leftLayout->addWidget(scroll, 1);
    leftLayout->addWidget(help);

    connect(classButtons_, &ClassButtons::classClicked, this, &LabelingView::assignSelected);
    connect(classButtons_, &ClassButtons::renameRequested, this, &LabelingView::askClassName);
    connect(grid_, &LabelingGrid::zoomRequested, this, &LabelingView::zoomSelected);
    history_->setHorizontalHeaderLabels({tr("Time"), tr("Sample"), tr("Decision"), tr("Stored")});
    history_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    history_->horizontalHeader()->setSectionResizeMode(2, QHeaderView::Stretch);
    history_->setWordWrap(false);
    history_->setTabKeyNavigation(false); // Tab leaves the table (arrows move between cells): no keyboard trap
    history_->verticalHeader()->hide();
    history_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    history_->setSelectionBehavior(QAbstractItemView::SelectRows);
    history_->setFocusPolicy(Qt::ClickFocus);
    history_->setToolTip(tr("Double-click a decision to give that sample another class"));
    connect(history_, &QTableWidget::cellDoubleClicked, this, [this](int row, int) { onHistoryDoubleClicked(row); });

    // The grid gets the whole width (a dock is often narrow); the class buttons sit right under it,
    // where the eyes already are, and the history below.
    leftLayout->insertWidget(leftLayout->indexOf(help), classButtons_);
    auto *below = new QWidget;
    auto *belowLayout = new QVBoxLayout(below);
    belowLayout->setContentsMargins(0, 0, 0, 0);
    belowLayout->addWidget(new QLabel(tr("Last decisions")));
    belowLayout->addWidget(history_, 1);

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(left);
    splitter->addWidget(below);
    splitter->setStretchFactor(0, 4);
    splitter->setStretchFactor(1, 1);
    splitter->setChildrenCollapsible(false);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(splitter);
    updateProgress();
}

void LabelingView::connectOracle(InteractiveOracle *oracle)
{
    connect(oracle, &InteractiveOracle::batchRequested, this, &LabelingView::showBatch);
    connect(oracle, &InteractiveOracle::labelStored, this, &LabelingView::onLabelStored);
    connect(oracle, &InteractiveOracle::labelUndone, this, &LabelingView::onLabelUndone);
    connect(oracle, &InteractiveOracle::sampleSkipped, this, &LabelingView::onSampleSkipped);
    connect(oracle, &InteractiveOracle::batchFinished, this, &LabelingView::onBatchFinished);
    connect(oracle, &InteractiveOracle::refused, this, &LabelingView::refused);
    connect(this, &LabelingView::assignRequested, oracle, &InteractiveOracle::assign);
    connect(this, &LabelingView::undoRequested, oracle, &InteractiveOracle::undo);
    connect(this, &LabelingView::skipRequested, oracle, &InteractiveOracle::skip);
    connect(this, &LabelingView::submitRequested, oracle, &InteractiveOracle::submit);
    connect(this, &LabelingView::classRenamed, oracle, &InteractiveOracle::renameClass);
}

void LabelingView::setShortcuts(const LabelingShortcuts &shortcuts)
{
    shortcuts_ = shortcuts;
    showClassButtons(); // the buttons say the keys
}

QString LabelingView::keyOf(int c) const
{
    return shortcuts_.keys.value(QStringLiteral("class-%1").arg(c)).toString(QKeySequence::NativeText);
}

QString LabelingView::className(int c) const
{
    return c >= 0 && c < classNames_.size() ? classNames_[c] : QString::number(c);
}

void LabelingView::showBatch(const QVariantList &items, const QVariantMap &status)
{
    QVector<LabelingItem> batch;
    for (const QVariant &v : items) {
        const QVariantMap m = v.toMap();
        LabelingItem item;
        item.sampleIndex = m.value(QStringLiteral("sample_index")).toLongLong();
        item.sampleKey = m.value(QStringLiteral("sample_key")).toString();
        item.image = m.value(QStringLiteral("image")).value<QImage>();
        item.predicted = m.value(QStringLiteral("predicted"), -1).toInt();
        item.confidence = m.value(QStringLiteral("confidence")).toDouble();
        batch.push_back(item);
    }
    classNames_ = status.value(QStringLiteral("class_names")).toStringList();
    labelsBefore_ = status.value(QStringLiteral("labels_so_far")).toLongLong();
    budget_ = status.value(QStringLiteral("budget")).toLongLong();
    round_ = status.value(QStringLiteral("round")).toInt();
    storedThisBatch_ = 0;
    waiting_ = true;
    if (!ended_.isEmpty())
        lastAccuracy_.clear(); // the first batch of another run
    ended_.clear();
    undoStack_->clear(); // a submitted batch is not undone key by key
    showClassButtons();
    grid_->setClassNames(classNames_);
    grid_->setItems(batch);
    updateProgress();
    setFocus();
    Q_EMIT batchShown(round_, int(batch.size()));
}

void LabelingView::assignSelected(int classIndex)
{
    const int i = grid_->selected();
    if (!waiting_ || i < 0 || classIndex < 0 || (!classNames_.isEmpty() && classIndex >= classNames_.size()))
        return;
    const LabelingItem &item = grid_->items()[i];
    undoStack_->push(new AssignCommand(*this, item.sampleIndex, classIndex, item.label,
                                       tr("%1 as %2").arg(item.sampleKey, className(classIndex))));
    // The next unlabelled image is where the eyes go next.
    for (int next = i + 1; next < grid_->items().size(); ++next)
        if (!grid_->items()[next].label && !grid_->items()[next].skipped) {
            grid_->select(next);
            break;
        }
}

void LabelingView::skipSelected()
{
    const int i = grid_->selected();
    if (!waiting_ || i < 0 || grid_->items()[i].skipped)
        return;
    undoStack_->push(new SkipCommand(*this, grid_->items()[i].sampleIndex, tr("skip %1").arg(grid_->items()[i].sampleKey)));
    grid_->moveSelection(1, 0);
}

void LabelingView::submit()
{
    if (!waiting_)
        return;
    waiting_ = false;
    Q_EMIT submitRequested();
    updateProgress();
}

void LabelingView::requestAssign(qint64 sampleIndex, int label)
{
    const int i = grid_->indexOf(sampleIndex);
    if (i >= 0) {
        LabelingItem &item = grid_->items()[i];
        item.label = label;
        item.skipped = false;
        item.stored = false;
        grid_->update();
    }
    // As the person gave it: the key they pressed and the name it stands for.
    const QString key = keyOf(label);
    addHistory(sampleIndex, key.isEmpty() ? className(label) : tr("%1 (key %2)").arg(className(label), key));
    Q_EMIT assignRequested(sampleIndex, label);
}

void LabelingView::requestUndo(qint64 sampleIndex, std::optional<int> restored)
{
    const int i = grid_->indexOf(sampleIndex);
    if (i >= 0) {
        LabelingItem &item = grid_->items()[i];
        item.label = restored;
        item.stored = false;
        grid_->update();
    }
    addHistory(sampleIndex, tr("undone"));
    Q_EMIT undoRequested(sampleIndex);
}

void LabelingView::requestSkip(qint64 sampleIndex, bool skipped)
{
    const int i = grid_->indexOf(sampleIndex);
    if (i >= 0) {
        grid_->items()[i].skipped = skipped;
        grid_->items()[i].stored = false;
        grid_->update();
    }
    addHistory(sampleIndex, skipped ? tr("skipped") : tr("skip undone"));
    if (skipped)
        Q_EMIT skipRequested(sampleIndex);
    updateProgress();
}

void LabelingView::onLabelStored(qint64 sampleIndex, int label)
{
    const int i = grid_->indexOf(sampleIndex);
    if (i >= 0 && grid_->items()[i].label == label) {
        grid_->items()[i].stored = true;
        grid_->update();
    }
    ++storedThisBatch_;
    markStored(sampleIndex);
    updateProgress();
}

void LabelingView::markStored(qint64 sampleIndex)
{
    // The store acknowledges in the order decisions were made: the oldest one about the sample still
    // waiting is the one confirmed (row 0 is the newest).
    for (int row = history_->rowCount() - 1; row >= 0; --row)
        if (history_->item(row, 1)->data(Qt::UserRole).toLongLong() == sampleIndex && history_->item(row, 3)->text().isEmpty()) {
            history_->item(row, 3)->setText(QStringLiteral("\u2713"));
            break;
        }
}

void LabelingView::onLabelUndone(qint64 sampleIndex)
{
    --storedThisBatch_;
    markStored(sampleIndex);
    updateProgress();
}

void LabelingView::onSampleSkipped(qint64 sampleIndex)
{
    const int i = grid_->indexOf(sampleIndex);
    if (i >= 0 && grid_->items()[i].skipped) {
        grid_->items()[i].stored = true;
        grid_->update();
    }
}

void LabelingView::onBatchFinished()
{
    waiting_ = false;
    grid_->setItems({});
    undoStack_->clear();
    labelsBefore_ += storedThisBatch_;
    storedThisBatch_ = 0;
    updateProgress();
}

void LabelingView::setRoundAccuracy(int round, qint64 labels, double accuracy)
{
    lastAccuracy_ = tr("test accuracy %1 % after round %2 (%3 labels)").arg(accuracy * 100, 0, 'f', 1).arg(round).arg(labels);
    updateProgress();
}

void LabelingView::runEnded(const QString &status)
{
    // A cancelled or failed run leaves no batch to answer: its grid goes, and the line says why.
    waiting_ = false;
    grid_->setItems({});
    undoStack_->clear();
    ended_ = status == QStringLiteral("completed") || status == QStringLiteral("converged_green")
                 ? tr("The labeling run is finished")
                 : tr("The labeling run stopped (%1); every acknowledged label is stored, and run --resume or New run from "
                      "selected takes it up again").arg(status);
    updateProgress();
}

void LabelingView::setEmissions(double emissionsG)
{
    emissionsG_ = emissionsG;
    updateProgress();
}

QString LabelingView::progressText() const
{
    return progress_->text();
}

void LabelingView::updateProgress()
{
    int labelled = 0, skipped = 0;
    for (const LabelingItem &item : grid_->items()) {
        labelled += item.label.has_value();
        skipped += item.skipped && !item.label;
    }
    const qint64 total = labelsBefore_ + storedThisBatch_;
    QString text = waiting_             ? tr("Round %1: %2 of %3 labelled, %4 skipped").arg(round_).arg(labelled).arg(grid_->items().size()).arg(skipped)
                   : !ended_.isEmpty() ? ended_
                                       : tr("The model is learning from your labels and choosing the next batch");
    text += tr(" \u00b7 %1 labels in all").arg(total);
    if (budget_ > 0)
        text += tr(" \u00b7 %1 left of the budget of %2").arg(std::max<qint64>(0, budget_ - total)).arg(budget_);
    text += tr(" \u00b7 %1 g CO\u2082e so far").arg(emissionsG_, 0, 'f', 4);
    if (!lastAccuracy_.isEmpty())
        text += QStringLiteral(" \u00b7 ") + lastAccuracy_;
    progress_->setText(text);
}

void LabelingView::addHistory(qint64 sampleIndex, const QString &what)
{
    const int i = grid_->indexOf(sampleIndex);
    const QString key = i >= 0 ? grid_->items()[i].sampleKey : QString::number(sampleIndex);
    history_->insertRow(0);
    // The end of the key names the sample (an index or a file name); the whole key is the tooltip.
    auto *sample = new QTableWidgetItem(key.section(QLatin1Char('/'), -1));
    sample->setToolTip(key);
    sample->setData(Qt::UserRole, sampleIndex);
    history_->setItem(0, 0, new QTableWidgetItem(QTime::currentTime().toString(QStringLiteral("HH:mm:ss"))));
    history_->setItem(0, 1, sample);
    history_->setItem(0, 2, new QTableWidgetItem(what));
    history_->setItem(0, 3, new QTableWidgetItem(QString()));
    while (history_->rowCount() > kHistoryRows)
        history_->removeRow(history_->rowCount() - 1);
}

void LabelingView::onHistoryDoubleClicked(int row)
{
    const qint64 sampleIndex = history_->item(row, 1)->data(Qt::UserRole).toLongLong();
    const int i = grid_->indexOf(sampleIndex);
    if (i < 0 || classNames_.isEmpty())
        return; // decisions of a submitted batch are in the store; the run has moved on
    bool ok = false;
    const QString chosen = QInputDialog::getItem(this, tr("Change the label"), tr("Class for %1:").arg(grid_->items()[i].sampleKey),
                                                 classNames_, std::max(0, grid_->items()[i].label.value_or(0)), false, &ok);
    if (!ok)
        return;
    grid_->select(i);
    assignSelected(int(classNames_.indexOf(chosen)));
}

void LabelingView::showClassButtons()
{
    QStringList keys;
    for (int c = 0; c < classNames_.size(); ++c)
        keys << keyOf(c);
    classButtons_->setClasses(classNames_, keys);
}

void LabelingView::askClassName(int classIndex)
{
    if (classIndex < 0 || classIndex >= classNames_.size())
        return;
    bool ok = false;
    const QString name = QInputDialog::getText(this, tr("Rename the class"), tr("Name of class %1 (stored with the run):").arg(classIndex),
                                               QLineEdit::Normal, classNames_[classIndex], &ok);
    if (ok)
        renameClass(classIndex, name);
}

void LabelingView::renameClass(int classIndex, const QString &newName)
{
    const QString name = newName.trimmed();
    if (name.isEmpty() || classIndex < 0 || classIndex >= classNames_.size() || name == classNames_[classIndex])
        return;
    classNames_[classIndex] = name;
    grid_->setClassNames(classNames_);
    showClassButtons();
    Q_EMIT classRenamed(classIndex, name);
}

void LabelingView::zoomSelected()
{
    const int i = grid_->selected();
    if (i < 0 || zoom_)
        return;
    const LabelingItem &item = grid_->items()[i];
    auto *dialog = zoom_ = new ImageZoom(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QObject::destroyed, this, [this] { zoom_ = nullptr; });
    dialog->setWindowTitle(tr("Sample %1").arg(item.sampleKey));
    auto *layout = new QVBoxLayout(dialog);
    auto *picture = new QLabel;
    picture->setObjectName(QStringLiteral("zoomedImage"));
    // Whole multiples of the pixels (up to 448 px): small images stay sharp, as their pixels are.
    const int side = std::max(item.image.width(), item.image.height());
    const int scale = side > 0 ? std::max(1, 448 / side) : 1;
    picture->setPixmap(QPixmap::fromImage(item.image.scaled(item.image.size() * scale, Qt::KeepAspectRatio, Qt::FastTransformation)));
    picture->setAlignment(Qt::AlignCenter);
    layout->addWidget(picture, 1);
    const QString guess = item.predicted >= 0 ? tr("the model guesses %1 (%2 %)").arg(className(item.predicted)).arg(item.confidence * 100, 0, 'f', 0)
                                              : tr("no guess yet");
    auto *caption = new QLabel(tr("%1 · %2 · a class key labels it, Escape closes").arg(item.sampleKey.toHtmlEscaped(), guess));
    caption->setWordWrap(true);
    layout->addWidget(caption);
    dialog->open();
}

void LabelingView::keyPressEvent(QKeyEvent *event)
{
    switch (event->key()) {
    case Qt::Key_Left: grid_->moveSelection(-1, 0); return;
    case Qt::Key_Right: grid_->moveSelection(1, 0); return;
    case Qt::Key_Up: grid_->moveSelection(0, -1); return;
    case Qt::Key_Down: grid_->moveSelection(0, 1); return;
    default: break;
    }
    // The keypad's digits are the same digits to a person.
    const QKeySequence key(QKeyCombination(event->modifiers() & ~Qt::KeypadModifier, Qt::Key(event->key())));
    QString action = shortcuts_.actionFor(key);
    if (action.isEmpty() && event->key() == Qt::Key_Enter && shortcuts_.keys.value(QStringLiteral("submit")) == QKeySequence(Qt::Key_Return))
        action = QStringLiteral("submit"); // the keypad's Enter is the same key to a person
    if (action.startsWith(QStringLiteral("class-")))
        assignSelected(action.mid(6).toInt());
    else if (action == QStringLiteral("skip"))
        skipSelected();
    else if (action == QStringLiteral("submit"))
        submit();
    else if (action == QStringLiteral("undo"))
        undoStack_->undo();
    else if (action == QStringLiteral("redo"))
        undoStack_->redo();
    else if (action == QStringLiteral("zoom"))
        zoomSelected();
    else {
        QWidget::keyPressEvent(event);
        return;
    }
    updateProgress();
}

} // namespace gw
