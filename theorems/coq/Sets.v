(* Token sets as lists of inclusive intervals [lo, hi] (docs/theory.md, section 2 uses sets of
   tokens; this is their representation for computation). The meaning of a list is the union of its
   intervals, whatever their order: every operation below is proven correct for arbitrary lists, and
   is only *fast* (linear) when the lists are sorted by lower end, which is what the exporter writes
   and what the operations preserve. *)
From Coq Require Import NArith List Bool Btauto Lia.
Import ListNotations.
Local Open Scope N_scope.

Definition iset := list (N * N).

Definition in_iv (x : N) (iv : N * N) : bool := (fst iv <=? x) && (x <=? snd iv).

Definition mem (x : N) (s : iset) : bool := existsb (in_iv x) s.
Arguments mem : simpl never.

Lemma in_iv_spec x iv : in_iv x iv = true <-> fst iv <= x <= snd iv.
Proof.
  unfold in_iv; rewrite andb_true_iff, !N.leb_le; tauto.
Qed.

Lemma mem_nil x : mem x [] = false.
Proof. reflexivity. Qed.

Lemma mem_cons x iv s : mem x (iv :: s) = in_iv x iv || mem x s.
Proof. reflexivity. Qed.

Lemma mem_app x a b : mem x (a ++ b) = mem x a || mem x b.
Proof. unfold mem; now rewrite existsb_app. Qed.

Lemma mem_spec x s : mem x s = true <-> exists iv, In iv s /\ fst iv <= x <= snd iv.
Proof.
  unfold mem; rewrite existsb_exists.
  split; intros [iv [H1 H2]]; exists iv; split; auto; now apply in_iv_spec.
Qed.

(* --- Union: merge by lower end, then coalesce neighbours that overlap or touch. ------------ *)

Fixpoint merge (a b : iset) : iset :=
  match a with
  | [] => b
  | x :: a' =>
      (fix merge_b (b : iset) : iset :=
         match b with
         | [] => a
         | y :: b' => if fst x <=? fst y then x :: merge a' b else y :: merge_b b'
         end) b
  end.

Lemma mem_merge x a b : mem x (merge a b) = mem x a || mem x b.
Proof.
  revert b; induction a as [|u a IH]; intro b; [reflexivity|].
  induction b as [|v b IHb].
  - cbn [merge]. now rewrite mem_nil, orb_false_r.
  - change (merge (u :: a) (v :: b)) with
      (if fst u <=? fst v then u :: merge a (v :: b) else v :: merge (u :: a) b).
    destruct (fst u <=? fst v).
    + rewrite mem_cons, IH, !mem_cons; btauto.
    + rewrite mem_cons, IHb, !mem_cons; btauto.
Qed.

(* cur absorbs the next interval when that one starts inside cur or right after it. *)
Fixpoint coalesce (cur : N * N) (l : iset) : iset :=
  match l with
  | [] => [cur]
  | y :: l' =>
      if (fst cur <=? fst y) && (fst y <=? snd cur + 1)
      then coalesce (fst cur, N.max (snd cur) (snd y)) l'
      else cur :: coalesce y l'
  end.

Lemma mem_coalesce x cur l : mem x (coalesce cur l) = in_iv x cur || mem x l.
Proof.
  revert cur; induction l as [|y l IH]; intro cur; simpl.
  - now rewrite mem_cons, mem_nil.
  - destruct ((fst cur <=? fst y) && (fst y <=? snd cur + 1)) eqn:E.
    + rewrite IH, mem_cons, orb_assoc. f_equal.
      apply andb_true_iff in E as [E1 E2]; apply N.leb_le in E1; apply N.leb_le in E2.
      destruct cur as [a b], y as [c d]; simpl in *.
      apply eq_iff_eq_true; rewrite orb_true_iff, !in_iv_spec; simpl; lia.
    + rewrite mem_cons, IH, mem_cons; btauto.
Qed.

Definition norm (l : iset) : iset := match l with [] => [] | x :: l' => coalesce x l' end.

Lemma mem_norm x l : mem x (norm l) = mem x l.
Proof. destruct l; simpl; [reflexivity|]. now rewrite mem_coalesce. Qed.

Definition union (a b : iset) : iset := norm (merge a b).

Lemma mem_union x a b : mem x (union a b) = mem x a || mem x b.
Proof. unfold union; now rewrite mem_norm, mem_merge. Qed.

(* Comparisons of N in hypotheses, as propositions (for lia). *)
Ltac bool_cmp := repeat match goal with
  | H : (_ <? _) = true |- _ => apply N.ltb_lt in H
  | H : (_ <? _) = false |- _ => apply N.ltb_ge in H
  | H : (_ <=? _) = true |- _ => apply N.leb_le in H
  | H : (_ <=? _) = false |- _ => apply N.leb_gt in H
  | H : (_ || _) = false |- _ => apply orb_false_iff in H as [? ?]
  end.

(* s without x. *)
Definition remove (x : N) (s : iset) : iset :=
  flat_map (fun iv => if in_iv x iv
                      then (if fst iv <? x then [(fst iv, x - 1)] else []) ++ (if x <? snd iv then [(x + 1, snd iv)] else [])
                      else [iv]) s.

Lemma mem_remove z x s : mem z (remove x s) = true <-> mem z s = true /\ z <> x.
Proof.
  induction s as [|iv s IH]; simpl; [rewrite !mem_nil; split; [discriminate|intros [H _]; discriminate]|].
  rewrite mem_app, orb_true_iff, IH, mem_cons, orb_true_iff.
  destruct (in_iv x iv) eqn:Ex.
  - apply in_iv_spec in Ex. rewrite mem_app, orb_true_iff.
    destruct (fst iv <? x) eqn:E1, (x <? snd iv) eqn:E2; bool_cmp;
      rewrite ?mem_cons, ?mem_nil, ?orb_false_r, ?in_iv_spec; simpl;
      try (rewrite in_iv_spec); split; intros; intuition (try lia); destruct (N.eq_dec z x); intuition lia.
  - rewrite mem_cons, mem_nil, orb_false_r. split; [intros [H|H]; [|tauto]|intros [[H|H] Hz]; auto].
    split; [now left|]. intro E; subst. congruence.
Qed.

(* --- Iterating over the members of an interval or a set. ------------------------------- *)

(* f applied to lo, lo + 1, ..., lo + len - 1, left to right. *)
Fixpoint fold_range {A} (f : A -> N -> A) (lo : N) (len : nat) (acc : A) : A :=
  match len with
  | O => acc
  | Datatypes.S len' => fold_range f (lo + 1) len' (f acc lo)
  end.

Definition iv_len (iv : N * N) : nat := N.to_nat (snd iv + 1 - fst iv).

Definition fold_set {A} (f : A -> N -> A) (s : iset) (acc : A) : A :=
  fold_left (fun acc iv => fold_range f (fst iv) (iv_len iv) acc) s acc.

(* Folds over the members: an invariant of (accumulator, members visited so far). *)
Lemma fold_range_visit {A} (P : A -> (N -> Prop) -> Prop) f lo len acc (V : N -> Prop) :
  P acc V ->
  (forall a x (W : N -> Prop), P a W -> P (f a x) (fun y => W y \/ y = x)) ->
  (forall (W W' : N -> Prop) a, (forall y, W y <-> W' y) -> P a W -> P a W') ->
  P (fold_range f lo len acc) (fun y => V y \/ lo <= y < lo + N.of_nat len).
Proof.
  intros H0 Hstep Hext. revert lo acc V H0; induction len as [|len IH]; intros lo acc V H0; simpl.
  - apply (Hext V); auto. intro y; split; [now left|intros [H|H]; [auto|lia]].
  - specialize (IH (lo + 1) (f acc lo) (fun y => V y \/ y = lo) (Hstep _ _ _ H0)).
    eapply Hext; [|exact IH]. intro y; split.
    + intros [[H|H]|H]; [now left|right; lia|right; lia].
    + intros [H|H]; [now left; left|]. destruct (N.eq_dec y lo); [now left; right|right; lia].
Qed.

Lemma fold_set_visit {A} (P : A -> (N -> Prop) -> Prop) f s acc (V : N -> Prop) :
  P acc V ->
  (forall a x (W : N -> Prop), P a W -> P (f a x) (fun y => W y \/ y = x)) ->
  (forall (W W' : N -> Prop) a, (forall y, W y <-> W' y) -> P a W -> P a W') ->
  P (fold_set f s acc) (fun y => V y \/ mem y s = true).
Proof.
  intros H0 Hstep Hext. unfold fold_set. revert acc V H0; induction s as [|iv s IH]; intros acc V H0; simpl.
  - eapply Hext; [|exact H0]. intro y; rewrite mem_nil; split; [now left|intros [H|H]; [auto|discriminate]].
  - specialize (IH _ _ (fold_range_visit P f (fst iv) (iv_len iv) acc V H0 Hstep Hext)).
    eapply Hext; [|exact IH]. intro y. rewrite mem_cons, orb_true_iff, in_iv_spec.
    assert (E : fst iv <= y < fst iv + N.of_nat (iv_len iv) <-> fst iv <= y <= snd iv)
      by (unfold iv_len; rewrite N2Nat.id; lia).
    rewrite E; tauto.
Qed.

(* The union of the sets g x over the members x of s. *)
Definition big_union (g : N -> iset) (s : iset) : iset := fold_set (fun acc x => union acc (g x)) s [].

Lemma mem_big_union g s y : mem y (big_union g s) = true <-> exists x, mem x s = true /\ mem y (g x) = true.
Proof.
  unfold big_union.
  set (P := fun (a : iset) (W : N -> Prop) => forall y, mem y a = true <-> exists x, W x /\ mem y (g x) = true).
  assert (H : P (fold_set (fun acc x => union acc (g x)) s []) (fun x => False \/ mem x s = true)).
  { apply fold_set_visit.
    - unfold P; intro z; split; [discriminate|intros [x [[] _]]].
    - unfold P; intros a x W Ha z. rewrite mem_union, orb_true_iff, (Ha z). split.
      + intros [[x' [H1 H2]]|H]; [exists x'; auto|exists x; auto].
      + intros [x' [[H1|H1] H2]]; [left; exists x'; auto|subst; auto].
    - unfold P; intros W W' a HW Ha z. rewrite (Ha z). split; intros [x [H1 H2]]; exists x; split; auto; apply HW; auto. }
  rewrite (H y). split; intros [x [H1 H2]]; exists x; split; auto.
  now destruct H1 as [[]|].
Qed.

(* --- Tests on sets. ------------------------------------------------------------------- *)

(* Whether s contains every token 0..n-1: exactly when its normal form is one interval [0, b], b >= n - 1
   (sufficient always; also necessary for the sorted lists the computations produce). *)
Definition is_full (n : N) (s : iset) : bool :=
  match norm s with
  | [(a, b)] => (a =? 0) && (n <=? b + 1)
  | _ => n =? 0
  end.

Lemma is_full_sound n s : is_full n s = true -> forall x, x < n -> mem x s = true.
Proof.
  unfold is_full; intros H x Hx. rewrite <- mem_norm.
  destruct (norm s) as [|[a b] [|]]; try (apply N.eqb_eq in H; lia).
  apply andb_true_iff in H as [H1 H2]; apply N.eqb_eq in H1; apply N.leb_le in H2.
  rewrite mem_cons, orb_true_iff; left; apply in_iv_spec; simpl; lia.
Qed.

(* A token below n that s misses, when the normal form shows one (a witness, checked by mem). *)
Definition missing (n : N) (s : iset) : N :=
  match norm s with
  | (a, b) :: _ => if 0 <? a then 0 else b + 1
  | [] => 0
  end.

Definition misses (n : N) (s : iset) : bool := let x := missing n s in (x <? n) && negb (mem x s).

Lemma misses_sound n s : misses n s = true -> exists x, x < n /\ mem x s = false.
Proof.
  unfold misses; intro H; apply andb_true_iff in H as [H1 H2].
  exists (missing n s); split; [now apply N.ltb_lt|now apply negb_true_iff].
Qed.

(* Whether the interval iv lies inside one interval of s (sound for any s, complete for normal forms). *)
Definition iv_within (iv : N * N) (s : iset) : bool :=
  (snd iv <? fst iv) || existsb (fun u => (fst u <=? fst iv) && (snd iv <=? snd u)) s.

Definition subset (a b : iset) : bool := forallb (fun iv => iv_within iv b) a.

Lemma subset_sound a b : subset a b = true -> forall x, mem x a = true -> mem x b = true.
Proof.
  unfold subset; rewrite forallb_forall; intros H x Hx.
  apply mem_spec in Hx as [iv [Hiv Hx]]. specialize (H iv Hiv). unfold iv_within in H.
  apply orb_true_iff in H as [H|H]; [apply N.ltb_lt in H; lia|].
  apply existsb_exists in H as [u [Hu H]]. apply andb_true_iff in H as [H1 H2].
  apply N.leb_le in H1; apply N.leb_le in H2. apply mem_spec; exists u; split; auto; lia.
Qed.

(* The elements of a set, as a list (for counting). *)
Definition elements (s : iset) : list N := rev (fold_set (fun acc x => x :: acc) s []).

Lemma in_elements s x : In x (elements s) <-> mem x s = true.
Proof.
  unfold elements; rewrite <- in_rev.
  set (P := fun (a : list N) (W : N -> Prop) => forall y, In y a <-> W y).
  assert (H : P (fold_set (fun acc x => x :: acc) s []) (fun y => False \/ mem y s = true)).
  { apply fold_set_visit.
    - unfold P; intro y; simpl; tauto.
    - unfold P; intros a z W Ha y; simpl; rewrite (Ha y); split; intros [H|H]; subst; auto.
    - unfold P; intros W W' a HW Ha y; rewrite (Ha y); apply HW. }
  rewrite (H x); tauto.
Qed.

(* A test on every member of a set. *)
Definition forall_set (f : N -> bool) (s : iset) : bool := fold_set (fun acc x => acc && f x) s true.

Lemma forall_set_sound f s : forall_set f s = true -> forall x, mem x s = true -> f x = true.
Proof.
  unfold forall_set.
  set (Q := fun (a : bool) (W : N -> Prop) => a = true -> forall x, W x -> f x = true).
  assert (H : Q (fold_set (fun acc x => acc && f x) s true) (fun x => False \/ mem x s = true)).
  { apply fold_set_visit; unfold Q.
    - intros _ x [].
    - intros a x W Ha Hb y [Hy| ->]; apply andb_true_iff in Hb as [Hb1 Hb2]; auto.
    - intros W W' a HW Ha Hb y Hy; apply (Ha Hb), HW, Hy. }
  intros Hs x Hx. exact (H Hs x (or_intror Hx)).
Qed.
